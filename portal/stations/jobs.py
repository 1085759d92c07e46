"""Scheduled entry points of the stations area; each owns its commits."""

import logging

from portal import pdf
from portal.extensions import db
from portal.stations import notices

log = logging.getLogger(__name__)


def mail_pending() -> dict:
    """Render and mail every notice not mailed yet; each in its own short transactions, none
    open while a PDF renders. A failed render is tried again by the next run."""
    counts = {"rendered": 0, "mails": 0, "render_failures": 0}
    for notice_id in notices.pending_notice_ids():
        mail = notices.notice_mail(notice_id)
        db.session.rollback()  # no transaction stays open while rendering
        try:
            notices.render_notice(mail)
        except pdf.RenderError:
            log.exception("VIP notice %s did not render", notice_id)
            counts["render_failures"] += 1
            continue
        counts["rendered"] += 1
        counts["mails"] += notices.queue_notice_mails(mail)
        db.session.commit()
    return counts
