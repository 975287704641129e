"""The API's base paths, defined once (template.yaml's routes spell them out; a test checks they agree)."""

from __future__ import annotations

API_BASE = "/api/v1.0"
CONSUMER = f"{API_BASE}/consumer"
REPRESENTATIVE = f"{API_BASE}/representative"
