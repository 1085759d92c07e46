#!/usr/bin/env bash
# Re-extract the user-facing strings and merge them into the catalogues (then translate the
# new entries in portal/translations/zh/LC_MESSAGES/messages.po).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 -k _p:1c,2 --ignore-dirs='.* __pycache__' --no-location -o portal/translations/messages.pot .
.venv/bin/pybabel update -i portal/translations/messages.pot -d portal/translations --no-fuzzy-matching
.venv/bin/pybabel compile -d portal/translations --statistics
