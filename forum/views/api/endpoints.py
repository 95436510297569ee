"""API endpoints (filled in below)."""
