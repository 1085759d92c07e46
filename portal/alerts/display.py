"""An alert's reason in the reader's language, from the rules and figures it keeps."""

from flask_babel import gettext as _

from portal.pdf import whole_money


def _share(part: int, whole: int) -> str:
    return str((part * 200 + whole) // (2 * whole)) if whole else "0"  # rounded half up


def reasons(reason: dict | None) -> list[str]:
    """One sentence per rule that holds (for pages and PDFs)."""
    reason = reason or {}
    sentences = []
    for rule in reason.get("rules", []):
        if rule == "revenue_drop":
            sentences.append(
                _(
                    "Revenue of the last three months is %(share)s %% of the same months a year "
                    "before (%(recent)s against %(before)s CNY).",
                    share=_share(reason.get("recent_fen", 0), reason.get("year_before_fen", 0)),
                    recent=whole_money(reason.get("recent_fen", 0)),
                    before=whole_money(reason.get("year_before_fen", 0)),
                )
            )
        elif rule == "rank_fall":
            sentences.append(
                _(
                    "Rank fell from %(best)s to %(rank)s of %(ranked)s within a quarter.",
                    best=reason.get("best_rank"),
                    rank=reason.get("rank"),
                    ranked=reason.get("ranked"),
                )
            )
        elif rule == "turned_sleeping":
            sentences.append(_("The account turned sleeping: no flight for 90 days."))
        elif rule == "roster_share":
            sentences.append(
                _(
                    "%(share)s %% of the segments in %(month)s (%(off)s of %(total)s) were flown by "
                    "people not on the traveller roster.",
                    share=_share(reason.get("off", 0), reason.get("total", 0)),
                    month=reason.get("month", ""),
                    off=reason.get("off", 0),
                    total=reason.get("total", 0),
                )
            )
    return sentences
