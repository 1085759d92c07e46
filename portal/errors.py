"""Errors the domain raises; routes turn them into form errors or HTTP answers."""


class DomainError(Exception):
    """A rule of the domain refused an operation."""


class ValidationFailed(DomainError):
    """Input broke a rule; `reasons` maps a field name (or None) to messages."""

    def __init__(self, reasons: dict[str | None, list[str]] | str):
        if isinstance(reasons, str):
            reasons = {None: [reasons]}
        self.reasons = reasons
        super().__init__("; ".join(m for ms in reasons.values() for m in ms))


class NotAllowed(DomainError):
    """The actor may not do this."""
