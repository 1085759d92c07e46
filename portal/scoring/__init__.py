"""Account scoring and value ranking (评级)."""
