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
        return _target(value.strip(), base, doc)
    raise doc.error("store", f"expected a file path, got {value!r}")


_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def _target(value: str, base: Path, doc: Doc) -> Path | str:
    """`store:` as a SQLite file path (relative to the config), or a PostgreSQL URL kept as it
    is (its password is registered as a secret). Any other URL is refused: read as a path,
    `mysql://host/db` would quietly become a SQLite file named `mysql:/host/db`."""
    scheme = _URL_SCHEME.match(value)
    if scheme is None:
        path = Path(value).expanduser()
        return path if path.is_absolute() else base / path
    # (An example with user@ before the host would show as ***@: redact masks every userinfo.)
    accepted = "postgresql://HOST:5432/DATABASE, user and password before the host"
    value = scheme.group(1).lower() + value[len(scheme.group(1)) :]  # libpq reads lower case
    if not is_store_url(value):
        raise doc.error(
            "store",
            f"{scheme.group(1)}:// stores are not supported: `store:` is a SQLite file's path "
            f"or a PostgreSQL URL ({accepted})",
            "for SQLite give the file's path (store: data/repcli.db)",
        )
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise doc.error("store", f"not a valid PostgreSQL URL ({exc})", accepted) from None
    if not parts.netloc and not parts.path.strip("/") and not parts.query:
        raise doc.error("store", "the PostgreSQL URL names no server or database", accepted)
    secrets.register_url(value)
    for key, secret in parse_qsl(parts.query):
        if key == "password":
            secrets.register(secret)
    return value
