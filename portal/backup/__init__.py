"""Backups of the database and the data folder, and their restore (DESIGN §6, §8)."""
