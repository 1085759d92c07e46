#!/usr/bin/env bash
# Quick start, part one: install, migrate, seed the demo world if empty, serve on 127.0.0.1:$PORT.
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh app

export PORTAL_ENV="${PORTAL_ENV:-development}"
port="${PORT:-5000}"
flask=".venv/bin/flask --app wsgi"

echo "==> migrating the database"
$flask db upgrade
if [ "$PORTAL_ENV" = production ]; then
  echo "==> production: no demo world (its logins share a published password)"
else
  echo "==> seeding the demo world (only if the database is empty; the first run takes about a minute)"
  $flask seed --if-empty
fi

echo "==> serving on http://127.0.0.1:${port} (Ctrl-C stops)"
exec .venv/bin/gunicorn --bind "127.0.0.1:${port}" --workers 2 --access-logfile - wsgi:app
