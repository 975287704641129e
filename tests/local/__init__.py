"""Tests of the local tooling (local/): template reading, tables, tokens, events, the dev server."""
