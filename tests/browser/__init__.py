"""Browser journeys: a live server on a committed SQLite world, driven by Chromium through Playwright."""
