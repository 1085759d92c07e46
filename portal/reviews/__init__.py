"""Generated PDF account and portfolio reviews."""
