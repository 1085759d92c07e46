"""The survey page: GET shows the questions, POST records the answers once (Post/Redirect/Get
to the thanks page). A link that is unknown, expired or used answers a friendly page (404 or
410), never a 500."""

from flask import redirect, render_template, url_for
from flask_babel import get_locale
from sqlalchemy.exc import IntegrityError

from blueprints.surveys import bp
from blueprints.surveys.forms import SurveyForm
from portal.auth.policy import public
from portal.errors import ValidationFailed
from portal.extensions import db
from portal.surveys import operations
from portal.surveys.models import RATINGS
from portal.timeutil import local_today


def _unavailable(reason: str):
    status = 404 if reason == "invalid" else 410
    return render_template("surveys/unavailable.html", reason=reason), status


@bp.route("/survey/<token>", methods=["GET", "POST"])
@public
def answer(token: str):
    try:
        survey = operations.open_survey(token)
    except operations.SurveyUnavailable as e:
        return _unavailable(e.reason)
    form = SurveyForm()
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in ("nps", *RATINGS, "comment")}
        try:
            operations.answer(token, values, language=str(get_locale()), today=local_today())
            db.session.commit()
        except operations.SurveyUnavailable as e:
            db.session.rollback()
            return _unavailable(e.reason)
        except IntegrityError:  # a concurrent answer to the same survey won
            db.session.rollback()
            return _unavailable("answered")
        except ValidationFailed as e:
            db.session.rollback()
            form.populate_errors(e.reasons)
        else:
            return redirect(url_for(".thanks"))
    company = survey.company
    return render_template("surveys/answer.html", form=form, company=company, ratings=RATINGS)


@bp.route("/survey/thanks")
@public
def thanks():
    return render_template("surveys/thanks.html")
