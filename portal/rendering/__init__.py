"""Bounded PDF renders: slots, held in the database, that limit how many renders run at once."""
