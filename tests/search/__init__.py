"""Search across companies, contacts, travellers and interactions (issue 4)."""
