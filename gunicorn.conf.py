"""Gunicorn reads this file from the working directory (`./run.sh` and any `gunicorn wsgi:app`
started in the project): it warns when development mode listens beyond this machine."""

import os


def when_ready(server):
    """Once gunicorn is bound: warn (in its log) about a development portal facing the network."""
    from portal.serving import exposure_warning

    message = exposure_warning(os.environ.get("PORTAL_ENV", "development"), server.cfg.address)
    if message:
        server.log.warning(message)
