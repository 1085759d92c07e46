"""Satisfaction surveys: sent to a company's contacts by mail, answered on a public page."""
