"""Keep secrets out of output: every value that came from ${ENV} or a secret setting is
registered here, and `redact` replaces it wherever it would be shown (errors, logs, exports,
tracebacks). A URL's userinfo (`https://user:password@host`) is masked whether registered or not."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

_SECRETS: set[str] = set()
MASK = "***"

# ://userinfo@ — userinfo stops at what ends an authority or a quoted string, so an address
# in a query (`?by=anna@example.com`) or two strings side by side in JSON are left alone.
_USERINFO = re.compile(r"://[^\s/?#@\"'<>\\]+@")  # a literal start: the fast path


def register(value: str) -> None:
    # Very short values would mask ordinary words; nobody uses a 3-character token.
    if value and len(value) >= 4:
        _SECRETS.add(value)


def register_url(url: str) -> None:
    """A URL's password is a secret, and so is its userinfo as a whole (`user:pw@`, masked as
    `***@`): the HTTP layer names hosts by netloc, without the scheme `redact` looks for."""
    if "@" not in url or "://" not in url:
        return
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # a malformed address: the config check says so
        return
    userinfo, at, _ = parts.netloc.rpartition("@")
    if not at or not userinfo:
        return
    for form in {userinfo, unquote(userinfo)}:
        _SECRETS.add(form + "@")
    if parts.password:
        register(parts.password)
        register(unquote(parts.password))


def register_urls(data: Any) -> None:
    """register_url for every string in a loaded config (any key, any depth)."""
    if isinstance(data, str):
        register_url(data)
    elif isinstance(data, dict):
        register_urls(list(data.values()))
    elif isinstance(data, Iterable) and not isinstance(data, bytes):
        for value in data:
            register_urls(value)


def redact(text: str) -> str:
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK + "@" if secret.endswith("@") else MASK)
    if "@" in text and "://" in text:
        text = _USERINFO.sub(f"://{MASK}@", text)
    return text


def format_traceback(exc: BaseException) -> str:
    """The stack as Python prints it (chained causes and notes included, never locals), masked."""
    import traceback

    return redact("".join(traceback.format_exception(exc)))


class RedactingFilter(logging.Filter):
    """A logging filter that masks registered secrets in every record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
