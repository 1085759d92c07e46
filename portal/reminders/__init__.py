"""Scheduled revisits (定期回访) and other follow-ups."""
