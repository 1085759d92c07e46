"""Links the code did not write itself (a `next` parameter, a notification's link): followed
only when they stay on this site."""

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """`next` only when it stays on this site: a path, no scheme, no host, no backslash tricks."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    return target
