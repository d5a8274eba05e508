"""`${VAR}` references in a config's strings, expanded from the environment with the shell's
rules (`expand`); a credential's variable that cannot be read is kept as an `Unresolved`, an
error raised only when the credential is used. Every value read is registered as a secret."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from typing import Any

from repcli import secrets
from repcli.config.document import Doc
from repcli.errors import ConfigError

_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def interpolate(
    value: Any, key_path: str, doc: Doc, credentials: frozenset[str] = frozenset()
) -> Any:
    """Expand ${VAR} references in every string (see `expand`). At the key paths in
    `credentials` a variable that is missing or empty gives an `Unresolved` holding the error,
    for the source to raise when it is used; a malformed reference is an error at once."""
    if isinstance(value, str):
        if "$" not in value:
            return value
        if key_path in credentials:
            _expand_from(value, 0, key_path, doc, os.environ, evaluate=False, nested=False)
            try:
                return expand(value, key_path, doc)
            except ConfigError as exc:
                return Unresolved(exc)
        return expand(value, key_path, doc)
    if isinstance(value, list):
        return [interpolate(v, f"{key_path}[{i}]", doc, credentials) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {
            k: interpolate(v, f"{key_path}.{k}" if key_path else str(k), doc, credentials)
            for k, v in value.items()
        }
    return value


@dataclasses.dataclass(frozen=True)
class Unresolved:
    """A credential whose ${VAR} could not be read at load: the error, raised on use."""

    error: ConfigError


def expand(text: str, key_path: str, doc: Doc, env: Mapping[str, str] | None = None) -> str:
    """The shell's rules for the forms it shares with POSIX `sh`, inside braces only:

    - `${VAR}`: VAR's value; a ConfigError when VAR is unset *or empty* (an empty token is
      as missing as an absent one);
    - `${VAR:-word}`: word when VAR is unset or empty; `${VAR-word}`: word only when VAR is
      unset. The word may hold references itself (`${A:-${B}}`) and is expanded only when used;
    - `$$` is one `$`; a `$` not followed by `{` or `$` is itself.

    Anything else in braces (`${}`, `${1A}`, `${A:?x}`, an unclosed `${A`) is a ConfigError
    naming the key. Values that came from the environment are registered as secrets."""
    env = os.environ if env is None else env
    out, _ = _expand_from(text, 0, key_path, doc, env, evaluate=True, nested=False)
    return out


_SPECIAL = re.compile(r"[$}]")


def _expand_from(
    text: str,
    i: int,
    key_path: str,
    doc: Doc,
    env: Mapping[str, str],
    evaluate: bool,
    nested: bool,
) -> tuple[str, int]:
    """Expand text[i:] up to its end, or (nested) up to the `}` closing a default word:
    (the expansion, where it stopped)."""
    parts: list[str] = []
    while True:
        found = _SPECIAL.search(text, i)
        at = found.start() if found else len(text)
        parts.append(text[i:at])
        if found is None:
            return "".join(parts), len(text)
        if text[at] == "}":
            if nested:
                return "".join(parts), at
            parts.append("}")
            i = at + 1
            continue
        after = text[at + 1 : at + 2]
        if after == "$":
            parts.append("$")
            i = at + 2
        elif after == "{":
            value, i = _reference(text, at, key_path, doc, env, evaluate)
            parts.append(value)
        else:
            parts.append("$")
            i = at + 1


def _reference(
    text: str, at: int, key_path: str, doc: Doc, env: Mapping[str, str], evaluate: bool
) -> tuple[str, int]:
    """The value of the `${...}` starting at text[at], and the index after its `}`."""
    forms = "use ${VAR}, ${VAR:-default} or ${VAR-default}; write $$ for a literal $"
    name = _VAR_NAME.match(text, at + 2)
    if name is None:
        close = text.find("}", at)
        shown = text[at : close + 1] if 0 <= close < at + 40 else text[at : at + 12] + "..."
        raise doc.error(key_path, f"{shown} is not a valid variable name", forms)
    var, i = name.group(), name.end()
    unclosed = doc.error(key_path, f"${{{var} is not closed with }}", forms)
    if text.startswith("}", i):
        return (_lookup(var, key_path, doc, env) if evaluate else ""), i + 1
    for op in (":-", "-"):
        if text.startswith(op, i):
            current = env.get(var)
            use = current is None or (op == ":-" and current == "")
            word, end = _expand_from(
                text, i + len(op), key_path, doc, env, evaluate and use, nested=True
            )
            if end >= len(text):
                raise unclosed
            if not evaluate:
                return "", end + 1
            if use:
                return word, end + 1
            return _lookup(var, key_path, doc, env, empty_ok=True), end + 1
    if i >= len(text):
        raise unclosed
    raise doc.error(key_path, f"${{{var}{text[i]}...}} is not supported", forms)


def _lookup(
    var: str, key_path: str, doc: Doc, env: Mapping[str, str], empty_ok: bool = False
) -> str:
    resolved = env.get(var)
    if resolved is None or (resolved == "" and not empty_ok):
        state = "is not set" if resolved is None else "is set but empty"
        raise doc.error(
            key_path,
            f"environment variable {var} {state}",
            f"export {var}=... before running repcli, or put it in your cron job's env"
            + ("" if resolved is None else f"; ${{{var}:-default}} allows an empty one"),
        )
    secrets.register(resolved)
    doc.variables.setdefault(key_path, []).append(var)
    return resolved
