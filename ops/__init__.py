"""Operator tools for a running stack (deployed, or `make dev`'s local one)."""
