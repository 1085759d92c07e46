"""Corporate agreements: terms, lifecycle, documents, attainment (issue 5)."""
