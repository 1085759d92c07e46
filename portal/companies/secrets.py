"""Identity-document numbers: validation, masking and encryption at rest (Fernet).

The key comes from PORTAL_FIELD_KEY (config.py); several comma-separated keys may be given to
rotate: the first encrypts, every one decrypts. Numbers never reach a log, a URL or the audit
trail; only their masked form (E1******78) is stored in clear.
"""

import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from flask_babel import gettext as _

# GB 11643-1999: weights of the first 17 digits and the check characters for sum % 11.
_ID_CARD_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CARD_CHECKS = "10X98765432"
_ID_CARD = re.compile(r"^[1-9]\d{5}(\d{4})(\d{2})(\d{2})\d{3}[\dX]$")
_DOCUMENT = re.compile(r"^[0-9A-Z]{5,20}$")
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class UnreadableSecret(Exception):
    """A stored token that none of the configured keys decrypts (a lost or rotated-out key)."""


def _fernet() -> MultiFernet:
    keys = [k.strip() for k in str(current_app.config["PORTAL_FIELD_KEY"]).split(",") if k.strip()]
    return MultiFernet([Fernet(k) for k in keys])


def encrypt(value: str) -> str:
    """A Fernet token (text) of `value`."""
    return _fernet().encrypt(value.encode()).decode("ascii")


def decrypt(token: str) -> str:
    """The value a token of `encrypt` holds."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError) as e:
        raise UnreadableSecret(
            "the stored document number cannot be decrypted with the configured keys"
        ) from e


def normalise(number: str) -> str:
    """Upper case without spaces or hyphens (the way numbers are printed and typed vary)."""
    return re.sub(r"[\s\-]", "", number or "").upper()


def id_card_check(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits of a resident identity card."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_CARD_WEIGHTS, strict=True))
    return _ID_CARD_CHECKS[total % 11]


def number_problems(document_type: str, number: str) -> list[str]:
    """Why `number` (normalised) is not a valid number of `document_type`; empty when it is."""
    if document_type == "id_card":
        match = _ID_CARD.match(number)
        if not match:
            return [_("A resident identity card number has 18 characters: 17 digits and a digit or X.")]
        year, month, day = (int(g) for g in match.groups())
        if not (1900 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month - 1]):
            return [_("The date of birth in this identity card number is not a date.")]
        if id_card_check(number[:17]) != number[17]:
            return [_("The check character of this identity card number is wrong: check for a typo.")]
        return []
    if not _DOCUMENT.match(number):
        return [_("A document number has 5 to 20 letters and digits.")]
    return []


def mask(number: str) -> str:
    """The number with all but its first two and last two characters hidden (E1******78);
    short numbers keep one character at each end so most of them stays hidden."""
    keep = 2 if len(number) >= 8 else 1
    return number[:keep] + "*" * (len(number) - 2 * keep) + number[-keep:]
