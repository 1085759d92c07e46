"""Corporate agreements (协议): terms, lifecycle, documents and attainment."""
