"""Use cases: one module each; they take and return domain types and raise domain errors."""
