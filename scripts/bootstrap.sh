#!/usr/bin/env bash
# Installs what the portal needs: system packages where missing (CJK fonts, PDF tools and,
# for tests, Chromium), a virtualenv with the pinned Python packages, compiled translations.
# Usage: scripts/bootstrap.sh app|dev
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-app}"

need_apt=()
fc-list 2>/dev/null | grep -qiE 'WenQuanYi|Noto Sans CJK|Noto Serif CJK' || need_apt+=(fonts-wqy-microhei)
command -v pdftotext >/dev/null 2>&1 || need_apt+=(poppler-utils)
ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset || need_apt+=(libharfbuzz-subset0)
ldconfig -p 2>/dev/null | grep -q libpango-1.0 || need_apt+=(libpango-1.0-0 libpangoft2-1.0-0)
# Backups of a PostgreSQL database use pg_dump/pg_restore (the tests back up one too).
if [ "$mode" = dev ] || [[ "${DATABASE_URL:-}" == postgresql* ]]; then
  command -v pg_dump >/dev/null 2>&1 || need_apt+=(postgresql-client)
fi
if [ "$mode" = dev ]; then
  command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need_apt+=(chromium)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing system packages: ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
    fc-cache -f >/dev/null 2>&1 || true
  else
    echo "==> missing system packages (install them as root): ${need_apt[*]}" >&2
  fi
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$python" -m venv .venv
fi
requirements=requirements.txt
[ "$mode" = dev ] && requirements=requirements-dev.txt
stamp=".venv/.installed-$mode"
if [ ! -f "$stamp" ] || [ "$requirements" -nt "$stamp" ] || [ requirements.txt -nt "$stamp" ]; then
  echo "==> installing Python packages from $requirements"
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "$requirements"
  touch "$stamp"
fi

.venv/bin/pybabel compile -d portal/translations --statistics >/dev/null
