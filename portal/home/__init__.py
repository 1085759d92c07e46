"""A staff member's home: the day's work across their portfolio (or branch)."""
