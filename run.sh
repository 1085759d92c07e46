#!/usr/bin/env bash
# Quick start: install, migrate, seed the demo world if empty, then start every process of the
# Procfile with honcho (the web server on 127.0.0.1:$PORT, the task worker, the scheduler);
# Ctrl-C stops them all. README: "Running the parts on their own".
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

echo "==> starting web (http://127.0.0.1:${port}), worker and scheduler (Ctrl-C stops them all)"
# honcho gives the Procfile's first process, web, the port passed with -p as $PORT.
exec .venv/bin/honcho start -f Procfile -p "$port"
