"""What the import tests that kill a process share."""

import os
import signal

from sqlalchemy import func, select

from portal.extensions import db
from portal.imports.models import ImportBatch
from portal.segments.models import Segment


def kill_mid_import(app, process) -> None:
    """SIGKILL the process (its import has written a chunk, not committed it): nothing of the
    import is left in the database, neither segments nor a batch."""
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Segment)) == 0
        assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0
        db.session.rollback()
