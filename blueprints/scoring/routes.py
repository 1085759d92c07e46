"""Scoring configuration: edit the weights, tier shares and activity limits, preview, rescore."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from blueprints.scoring import bp
from blueprints.scoring.forms import ConfigForm, RescoreForm
from portal.auth.policy import allow
from portal.errors import ValidationFailed
from portal.extensions import db
from portal.scoring import config as scoring_config
from portal.scoring.access import SCORING_MANAGERS
from portal.scoring.engine import COMPONENTS, TIER_ORDER, Rules
from portal.scoring.operations import recompute


def _rescore(rules: Rules | None = None) -> str | None:
    """Recompute the latest score date; a message for the flash, or None when another run
    was writing the same snapshots at the same time (the caller rolls back)."""
    as_of = scoring_config.rescore_date()
    try:
        summary = recompute(as_of, rules)
    except IntegrityError:
        return None
    return _(
        "Rescored %(companies)s companies for %(date)s; %(changed)s changed tier, score or status.",
        companies=summary["companies"],
        date=format_date(as_of),
        changed=summary["companies_changed"],
    )


def _busy() -> None:
    db.session.rollback()
    flash(_("Scores were being recomputed at the same moment; nothing was saved. Try again."), "danger")


def _saved(version, *, rescore: bool) -> None:
    """Commit the saved version (and, asked to, the rescore by it) and say so."""
    message = _("Saved as version %(version)s.", version=version.id)
    if not rescore:
        message = f"{message} {_('Scores change at the next rescore.')}"
    else:
        rescored = _rescore(Rules.from_config(version))
        if rescored is None:
            _busy()
            return
        message = f"{message} {rescored}"
    db.session.commit()
    flash(message, "success")


@bp.route("/config", methods=["GET", "POST"])
@allow(*SCORING_MANAGERS)
def config():
    current = scoring_config.latest_config()
    rules_now = Rules.from_config(current)
    form = ConfigForm(data=scoring_config.rule_values(rules_now))
    action = request.form.get("action")
    action = action if action in ("save", "save_rescore") else "preview"  # Enter key: preview
    preview = None
    if form.validate_on_submit():
        try:
            if action == "preview":
                preview = scoring_config.preview(scoring_config.proposed_rules(form.values()), rules_now)
            else:
                version = scoring_config.save_config(current_user, form.values())
        except ValidationFailed as e:
            form.populate_errors(e.reasons)
        else:
            if preview is None:
                _saved(version, rescore=action == "save_rescore")
                return redirect(url_for(".config"))
    return render_template(
        "scoring/config.html",
        form=form,
        preview=preview,
        current=current,
        now_values=scoring_config.rule_values(rules_now),
        default_values=scoring_config.rule_values(Rules.defaults()),
        rule_fields=scoring_config.RULE_FIELDS,
        group_starts=("weight_revenue", "share_platinum", "active_days"),
        history=scoring_config.history(),
        status=scoring_config.scores_status(),
        rescore_form=RescoreForm(formdata=None),
        components=COMPONENTS,
        tiers=TIER_ORDER,
    )


@bp.route("/rescore", methods=["POST"])
@allow(*SCORING_MANAGERS)
def rescore():
    if not RescoreForm().validate_on_submit():
        abort(400)
    message = _rescore()
    if message is None:
        _busy()
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for(".config"))
