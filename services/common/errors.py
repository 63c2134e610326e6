"""Typed domain errors, mapped to HTTP in one place (toolkit/http/errors.py)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a user can cause."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    """The named object does not exist."""


class RuleViolated(DomainError):
    """A business rule refuses the command; `rule` names it."""

    def __init__(self, rule: str, message: str, **details: Any) -> None:
        super().__init__(message, **details)
        self.rule = rule


class VersionConflict(DomainError):
    """Someone else changed the aggregate since the caller read it."""


class InvalidInput(DomainError):
    """The input does not hold together in a way a schema cannot see; `details["field"]` names the place."""


class EventTooLarge(InvalidInput):
    """A command's event would be stored larger than one event may be (it must fit one Kafka record); nothing was
    stored. `details` name the largest field, the event's size and the limit."""


class NotAllowed(DomainError):
    """The caller's role or scope does not cover this object."""


class NotSignedIn(DomainError):
    """The credentials do not prove who the caller is: a wrong login or password, an ended session, a used or
    expired link. The message never says which part was wrong where that would help a guesser."""


class TooManyAttempts(DomainError):
    """Refused for now: too many failed attempts; `details["retry_after"]` says in how many seconds to try again."""

    def __init__(self, message: str, *, retry_after: int, **details: Any) -> None:
        super().__init__(message, retry_after=retry_after, **details)
        self.retry_after = retry_after


class BatchRefused(RuleViolated):
    """A batch was refused as a whole and nothing of it stored; `details["rows"]` reports each bad row."""

    def __init__(self, message: str, rows: list[dict[str, Any]], **details: Any) -> None:
        super().__init__("batch-refused", message, rows=rows, **details)


class BatchInvalid(BatchRefused):
    """A batch was refused because some rows are malformed (not just against the rules)."""


class ReadModelBehind(DomainError):
    """A query asked to see a write, and its read model had not applied it within the time allowed."""
