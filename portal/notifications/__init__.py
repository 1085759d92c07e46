"""In-app notifications (and, later, their email delivery)."""
