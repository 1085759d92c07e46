"""Flown segments imported from the reservation system: the raw material of scores."""
