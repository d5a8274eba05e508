"""Where a config's `store:` points: a SQLite file's path (relative to the config), or a
PostgreSQL server's URL, kept as it is with its password registered as a secret. Any other URL
scheme is refused, naming the file and line. (Shown, the URL goes through `secrets.redact`:
`Config.store_label`.)"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from repcli import secrets
from repcli.config.document import Doc
from repcli.config.model import is_store_url


def store_location(value: object, base: Path, doc: Doc) -> Path | str:
    """The `store:` value read from a config in the folder `base`: a non-empty string."""
    if isinstance(value, str) and value.strip():
        try:
            return parse_store(value.strip(), base)
        except Refused as refused:
            raise doc.error("store", refused.message, refused.hint) from None
    raise doc.error("store", f"expected a file path, got {value!r}")


class Refused(ValueError):
    """A store location no engine opens: what is wrong (`message`) and what to give (`hint`)."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_ACCEPTED = "postgresql://HOST:5432/DATABASE, user and password before the host"


def parse_store(value: str, base: Path) -> Path | str:
    """A store location (`store:` in a config, `store migrate --to`) as `open_store` takes it:
    a SQLite file path (relative to `base`), or a PostgreSQL URL kept as it is, its password
    registered as a secret first. Any other URL is refused (Refused): read as a path,
    `mysql://host/db` would quietly become a SQLite file named `mysql:/host/db`."""
    scheme = _URL_SCHEME.match(value)
    if scheme is None:
        path = Path(value).expanduser()
        return path if path.is_absolute() else base / path
    value = scheme.group(1).lower() + value[len(scheme.group(1)) :]  # libpq reads lower case
    secrets.register_url(value)  # before anything can echo it
    try:
        parts = urlsplit(value)
        for key, secret in parse_qsl(parts.query):
            if key == "password":
                secrets.register(secret)
        if not is_store_url(value):
            # (An example with user@ before the host would show as ***@: redact masks userinfo.)
            raise Refused(
                f"{scheme.group(1)}:// stores are not supported: a store is a SQLite file's "
                f"path or a PostgreSQL URL ({_ACCEPTED})",
                "for SQLite give the file's path (e.g. data/repcli.db)",
            )
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        if isinstance(exc, Refused):
            raise
        raise Refused(f"not a valid PostgreSQL URL ({exc})", _ACCEPTED) from None
    if not parts.netloc and not parts.path.strip("/") and not parts.query:
        raise Refused("the PostgreSQL URL names no server or database", _ACCEPTED)
    return value
