"""The deterministic demo world: `flask --app wsgi seed` (DESIGN §6)."""
