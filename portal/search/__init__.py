"""Search across companies, contacts, travellers and interaction summaries."""
