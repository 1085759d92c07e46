"""The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters, the last a
check character computed over the first 17 with weights 3^i mod 31."""

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
WEIGHTS = [pow(3, i, 31) for i in range(17)]
_VALUE = {c: i for i, c in enumerate(ALPHABET)}


def check_character(first17: str) -> str:
    """The check character for the first 17 characters."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalize(code: str) -> str:
    """Upper case, without spaces and with full-width characters made half-width."""
    half = "".join(chr(ord(c) - 0xFEE0) if "！" <= c <= "～" else c for c in code)
    return "".join(half.split()).upper()


def is_valid(code: str) -> bool:
    """Whether `code` is a well-formed credit code with the right check character."""
    if len(code) != 18 or any(c not in _VALUE for c in code):
        return False
    return check_character(code[:17]) == code[17]


def make(first17: str) -> str:
    """A full code from 17 characters of the alphabet."""
    return first17 + check_character(first17)
