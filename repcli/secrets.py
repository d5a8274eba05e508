"""Keep secrets out of output: every value that came from ${ENV} or a secret setting is
registered here, and `redact` replaces it wherever it would be shown (errors, logs, exports)."""

from __future__ import annotations

import logging

_SECRETS: set[str] = set()
MASK = "***"


def register(value: str) -> None:
    # Very short values would mask ordinary words; nobody uses a 3-character token.
    if value and len(value) >= 4:
        _SECRETS.add(value)


def redact(text: str) -> str:
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that masks registered secrets in every record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
