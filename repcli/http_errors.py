"""How the HTTP layer (`repcli.http`) says a request failed: `HttpError` for good, `OutcomeUnknown`
for a write that may have happened, `RetryLater` to try again. Messages never carry a secret."""

from __future__ import annotations

from repcli import secrets
from repcli.errors import SourceError

ASK_THE_PLATFORM = "look on the platform, then `repcli post ID --was-posted yes|no`"


class HttpError(SourceError):
    """A request failed for good: the message names the host, status and the platform's words."""

    def __init__(self, message: str, status: int | None = None, hint: str | None = None) -> None:
        super().__init__(secrets.redact(message), secrets.redact(hint) if hint else None)
        self.status = status


class OutcomeUnknown(HttpError):
    """A request that must not be repeated (it publishes something: an answer, a comment, a
    message) may have reached the server, but no answer came back that says what it did (a 5xx,
    a timeout or a dropped connection after it was sent). Never retried: the caller records the
    outcome as unknown until someone, or the next fetch, sees what the platform shows."""


class RetryLater(Exception):
    """Raised (by the layer or a connector's `check`) to retry after `wait` seconds or backoff."""

    def __init__(self, reason: str, wait: float | None = None, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait
        self.status = status


def outcome_unknown(host: str, method: str, what: str, status: int | None = None) -> OutcomeUnknown:
    """The error for a write that failed (`what`) after it was sent."""
    return OutcomeUnknown(
        f"{host}: {what} after the {method.upper()} was sent; whether it took effect is "
        "unknown, so it is not sent again",
        status=status,
        hint=ASK_THE_PLATFORM,
    )
