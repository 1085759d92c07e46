"""Outgoing email: an outbox table, claimed row by row and sent over SMTP with retries."""
