"""Scheduled jobs, their runs and the database lock that makes each fire once."""
