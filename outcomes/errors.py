"""Domain errors: the API maps them to HTTP answers, the CLI and the bot to plain messages."""

from __future__ import annotations


class DomainError(Exception):
    """A request the rules refuse; ``str(error)`` is a message for a person."""


class NotFound(DomainError):
    """The record does not exist (or is not visible to the caller)."""


class Conflict(DomainError):
    """The record exists already, or the change contradicts stored data."""


class Invalid(DomainError):
    """The input is well-formed but breaks a rule (a window that ends before it starts, …)."""


class NotReady(DomainError):
    """The database cannot be used yet: unreachable, or its schema is not at the newest migration."""
