"""Gunicorn reads this file from the working directory (`./run.sh` and any `gunicorn wsgi:app`
started in the project): it warns when development mode listens beyond this machine, and with
PORTAL_LOG_FORMAT=json writes its own log lines as JSON too."""

import os

if os.environ.get("PORTAL_LOG_FORMAT") == "json":
    # Gunicorn's messages as JSON on standard error; its access log off (the app logs every
    # request itself, with the request id); the root logger left to the app (portal.logs).
    logconfig_dict = {
        "root": {"level": "INFO", "handlers": []},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["json"], "propagate": False},
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        },
        "handlers": {
            "json": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
        },
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(levelname)s %(name)s %(message)s",
                "rename_fields": {"levelname": "level", "name": "logger"},
                "timestamp": "time",
            }
        },
    }


def when_ready(server):
    """Once gunicorn is bound: warn (in its log) about a development portal facing the network."""
    from portal.serving import exposure_warning

    message = exposure_warning(os.environ.get("PORTAL_ENV", "development"), server.cfg.address)
    if message:
        server.log.warning(message)
