"""Checks on how the app is served: development mode must not face the network."""

import ipaddress

LOOPBACK_NAMES = {"localhost", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    """Whether a bind host only takes connections from this machine ("" and 0.0.0.0 take all)."""
    host = host.strip().strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name or the empty "every address": reachable from outside


def exposure_warning(portal_env: str, addresses) -> str | None:
    """A warning when development mode listens on an address other machines can reach.

    `addresses` are bind addresses as gunicorn parses them: (host, port) pairs, or a Unix
    socket's path (a string, local by nature).
    """
    if portal_env != "development":
        return None
    exposed = [f"{a[0] or '*'}:{a[1]}" for a in addresses if not isinstance(a, str) and not is_loopback(a[0])]
    if not exposed:
        return None
    return (
        f"PORTAL_ENV is development but the portal listens on {', '.join(exposed)}, reachable from"
        " other machines: development mode keeps its keys in instance/, sends cookies without"
        " Secure, and the demo logins share a published password. Bind 127.0.0.1, or set"
        " PORTAL_ENV=production."
    )
