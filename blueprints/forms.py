"""A form base that takes a service's ValidationFailed reasons back onto its fields."""

from flask_wtf import FlaskForm


class PortalForm(FlaskForm):
    """FlaskForm with `populate_errors` for rules the services enforce."""

    def populate_errors(self, reasons: dict[str | None, list[str]]) -> None:
        """Attach each reason to its field, or to the form when the field is unknown."""
        for name, messages in reasons.items():
            field = self._fields.get(name) if name else None
            if field is not None:
                field.errors = list(field.errors) + list(messages)
            else:
                self.form_errors.extend(messages)
