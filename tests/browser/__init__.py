"""Real-browser tests: Playwright drives Debian's Chromium against the production server."""
