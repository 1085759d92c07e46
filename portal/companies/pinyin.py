"""Pinyin keys of a company's Chinese name, so staff find and sort companies the way Chinese
users do: `beijingfengxing` or its initials `bjfx` finds 北京丰星…, and lists sort by pinyin
rather than by code point.

`name_keys` is the one place the keys are computed. An ORM listener on `Company.name_zh`
(portal/companies/models.py) sets them whenever the name is set, so every writer through the
ORM (import, merge, forms) keeps them;
the demo seed, which writes rows in bulk, calls `name_keys` itself, and the migration that
added the columns backfilled existing rows with it.
"""

import re

from pypinyin import Style, lazy_pinyin

PINYIN_LENGTH = 400
INITIALS_LENGTH = 200
# What a pinyin query may contain: Latin letters, with spaces between syllables allowed.
PINYIN_QUERY = re.compile(r"^[A-Za-z][A-Za-z ]*$")
_NOT_KEY = re.compile(r"[^0-9a-z]")


def _key(parts: list[str]) -> str:
    # Latin letters and digits in the name are kept (lowercased); punctuation and spaces go.
    return _NOT_KEY.sub("", "".join(parts).lower())


def name_keys(name_zh: str | None) -> dict[str, str]:
    """The full pinyin (`beijingfengxing...`) and the initials (`bjfx...`) of a Chinese name,
    under the Company columns that keep them."""
    name = name_zh or ""
    return {
        "name_pinyin": _key(lazy_pinyin(name))[:PINYIN_LENGTH],
        "name_initials": _key(lazy_pinyin(name, style=Style.FIRST_LETTER))[:INITIALS_LENGTH],
    }


def pinyin_query(q: str) -> str | None:
    """The query as the pinyin keys are matched (`Bei Jing` -> `beijing`), or None when it is
    not pinyin (Chinese characters, digits, punctuation)."""
    q = q.strip()
    if not PINYIN_QUERY.match(q):
        return None
    return q.replace(" ", "").lower()
