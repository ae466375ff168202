"""tests/utils."""
