"""bot/handlers."""
