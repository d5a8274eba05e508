"""YAML -> validated, frozen config objects: the engine behind `repcli.config`.

Reads a YAML file within limits (`yaml_safe`: size, nesting depth, alias expansion) keeping
each key's line (`document`), expands `${VAR}` references (`expansion`), and builds the frozen
dataclasses of `repcli.config.model` from the data (`store:` by `store_location`), with
errors that name the file, the line and the key and say what to do:
`repcli.yaml:12: sources[2].token: environment variable OZON_API_KEY is not set`.

Source types are not known here: the caller passes them in (`SourceTypes`; the CLI passes
`repcli.sources.registry.TYPES`), so that config never imports a source.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Protocol

import platformdirs

from repcli import secrets
from repcli.config.document import Doc
from repcli.config.expansion import Unresolved, expand, interpolate
from repcli.config.model import (
    DEFAULT_SLA,
    AlertSettings,
    AnalysisSettings,
    Config,
    OrdersSettings,
    OutputSettings,
    SignalSettings,
    SlaHours,
    SourceConfig,
    Thresholds,
    WorkflowSettings,
)
from repcli.config.store_location import store_location
from repcli.config.yaml_safe import read_capped
from repcli.errors import ConfigError

__all__ = [
    "APP_NAME",
    "CONFIG_ENV",
    "LOCAL_CONFIG",
    "SourceTypes",
    "build_dataclass",
    "default_store_path",
    "expand",
    "find_config",
    "load_config",
    "parse_config",
    "user_config_path",
]

APP_NAME = "repcli"
CONFIG_ENV = "REPCLI_CONFIG"
LOCAL_CONFIG = "repcli.yaml"
_Doc = Doc  # the name it had here (tests/hostile import it)


def user_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.yaml"


def default_store_path() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME)) / "repcli.db"


class SourceTypes(Protocol):
    """What the loader needs to know of source types: their names, and each one's settings
    dataclass (`repcli.sources.registry.TYPES` is the one the CLI uses)."""

    def known_types(self) -> list[str]: ...

    def settings_class(self, type_name: str) -> Any: ...


_TOP_KEYS = {f.name for f in dataclasses.fields(Config)} - {"path"}
"""Every section of `Config` is a top-level key: one list, so a new section cannot be missed."""
_SOURCE_COMMON = {f.name for f in dataclasses.fields(SourceConfig)} - {"settings", "unresolved"}

# --------------------------------------------------------------------------- locating config


def find_config(explicit: str | Path | None) -> Path:
    """--config, then $REPCLI_CONFIG, then ./repcli.yaml, then the user config dir."""
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(
                f"{path}: config file not found",
                "check the --config path, or run `repcli init` to write a starter config",
            )
        return path
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        path = Path(from_env).expanduser()
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found (from ${CONFIG_ENV})")
        return path
    candidates = [Path(LOCAL_CONFIG), user_config_path()]
    for path in candidates:
        if path.is_file():
            return path
    looked = ", ".join(str(p) for p in candidates)
    raise ConfigError(
        f"no config file found (looked for --config, ${CONFIG_ENV}, {looked})",
        "run `repcli init` to write a starter config, or try the demo: "
        "repcli check --config config.example.yaml",
    )


def load_config(
    explicit: str | Path | None = None, source_types: SourceTypes | None = None
) -> Config:
    path = find_config(explicit)
    return parse_config(read_capped(path), path, source_types)


# --------------------------------------------------------------------------- parsing


def _credential_paths(data: Mapping[str, Any], source_types: SourceTypes) -> frozenset[str]:
    """Key paths of the sources' secret settings (`sources[2].token`), whose variables are
    needed only when the source fetches, posts or is tested."""
    raw_sources = data.get("sources")
    if not isinstance(raw_sources, list):
        return frozenset()
    known = source_types.known_types()
    paths: set[str] = set()
    for i, raw in enumerate(raw_sources):
        if not isinstance(raw, dict) or raw.get("type") not in known:
            continue  # _parse_source says what is wrong
        try:
            fields = dataclasses.fields(source_types.settings_class(raw["type"]))
        except ConfigError:  # a plugin that fails to load: _parse_source says so
            continue
        paths.update(f"sources[{i}].{f.name}" for f in fields if f.metadata.get("secret"))
    return frozenset(paths)


def _unknown_key(doc: Doc, key_path: str, key: str, known: set[str]) -> ConfigError:
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(sorted(known))}"
    return doc.error(key_path, "unknown key", hint)


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin in (tuple, list):
        return f"a list of {_type_name(typing.get_args(tp)[0])}"
    if origin in (dict, Mapping):
        return "a mapping"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp) if a is not type(None))
    return {
        str: "a string",
        int: "a whole number",
        float: "a number",
        bool: "true or false",
    }.get(tp, getattr(tp, "__name__", str(tp)))


def _coerce(tp: Any, value: Any, key_path: str, doc: Doc) -> Any:
    """Check `value` against the annotation `tp`; return it in the annotated shape."""
    origin = typing.get_origin(tp)
    bad = doc.error(key_path, f"expected {_type_name(tp)}, got {value!r}")
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(arg, value, key_path, doc)
            except ConfigError:
                continue
        raise bad
    if origin is Literal:
        if value in typing.get_args(tp):
            return value
        raise bad
    if origin in (tuple, list):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise bad
        inner = typing.get_args(tp)[0]
        return tuple(_coerce(inner, v, f"{key_path}[{i}]", doc) for i, v in enumerate(value))
    if origin in (dict, Mapping):
        if not isinstance(value, dict):
            raise bad
        _, vtype = typing.get_args(tp)
        return types.MappingProxyType(
            {str(k): _coerce(vtype, v, f"{key_path}.{k}", doc) for k, v in value.items()}
        )
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise doc.error(key_path, f"expected a mapping of settings, got {value!r}")
        return build_dataclass(tp, value, key_path, doc)
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise bad
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise bad
    if tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise bad
    if tp is str:
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
        raise bad
    raise bad  # pragma: no cover - an annotation this loader does not know


def build_dataclass(
    cls: type[Any], data: Mapping[str, Any], key_path: str, doc: Doc, skip: set[str] | None = None
) -> Any:
    """Validate a mapping against a frozen dataclass: unknown keys, missing keys, types."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        child = f"{key_path}.{key}" if key_path else str(key)
        if skip and key in skip:
            continue
        if key not in fields:
            raise _unknown_key(doc, child, str(key), set(fields) | (skip or set()))
        kwargs[key] = _coerce(hints[key], value, child, doc)
    for name, field in fields.items():
        if name in kwargs or (skip and name in skip):
            continue
        if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise doc.error(
                key_path or name,
                f"missing required key {name!r}",
                f"add `{name}: ...` here",
            )
    return kwargs if skip is not None else cls(**kwargs)


def parse_config(
    text: str, path: Path | None = None, source_types: SourceTypes | None = None
) -> Config:
    """The config in `text` (read from `path`, which relative paths in it are resolved
    against). Its sources are checked against `source_types`, which a config with sources
    needs: `repcli.sources.registry.parse_config` passes the registry's."""
    doc = Doc(text, path)
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        raise doc.error("", "the config must be a mapping (key: value lines) at the top level")
    types_ = _source_types(data, source_types)
    data = interpolate(data, "", doc, _credential_paths(data, types_))
    secrets.register_urls(data)  # passwords in URLs (base_url: https://user:pw@host)
    for key in data:
        if key not in _TOP_KEYS:
            raise _unknown_key(doc, str(key), str(key), _TOP_KEYS)

    base = path.parent if path else Path.cwd()
    store_value = data.get("store")
    store = default_store_path() if store_value is None else store_location(store_value, base, doc)

    shop = data.get("shop")
    if shop is not None and not isinstance(shop, str):
        raise doc.error("shop", f"expected a string, got {shop!r}")
    thresholds = _coerce(Thresholds, data.get("thresholds"), "thresholds", doc)
    if not 1 <= thresholds.negative_rating <= thresholds.neutral_rating <= 5:
        raise doc.error(
            "thresholds",
            "need 1 <= negative_rating <= neutral_rating <= 5",
            "the defaults are negative_rating: 2, neutral_rating: 3",
        )
    analysis = _coerce(AnalysisSettings, data.get("analysis"), "analysis", doc)
    output = _coerce(OutputSettings, data.get("output"), "output", doc)
    _check_timezone(output.timezone, doc)
    sla = dataclasses.replace(DEFAULT_SLA, **_sla_values(data.get("sla"), "sla", doc))
    workflow = _coerce(WorkflowSettings, data.get("workflow"), "workflow", doc)
    signals = _coerce(SignalSettings, data.get("signals"), "signals", doc)
    alerts = _alerts(data.get("alerts"), doc)
    orders = _coerce(OrdersSettings, data.get("orders"), "orders", doc)
    locale = _coerce(Literal["en", "ru", "uk"], data.get("locale", "en"), "locale", doc)
    topics_value = data.get("topics")
    topics = None
    if topics_value is not None:
        if not isinstance(topics_value, str) or not topics_value.strip():
            raise doc.error("topics", f"expected a file path, got {topics_value!r}")
        topics = Path(topics_value).expanduser()
        topics = topics if topics.is_absolute() else base / topics
    if workflow.templates:
        templates = Path(workflow.templates).expanduser()
        if not templates.is_absolute():
            templates = base / templates
        workflow = dataclasses.replace(workflow, templates=str(templates))

    sources = _parse_sources(data.get("sources") or [], doc, types_)
    return Config(
        path=path,
        store=store,
        shop=shop,
        thresholds=thresholds,
        analysis=analysis,
        output=output,
        sources=tuple(sources),
        sla=sla,
        workflow=workflow,
        signals=signals,
        alerts=alerts,
        orders=orders,
        locale=locale,
        topics=topics,
    )


def _parse_sources(raw_sources: Any, doc: Doc, source_types: SourceTypes) -> list[SourceConfig]:
    if not isinstance(raw_sources, list):
        raise doc.error("sources", "expected a list of sources (lines starting with `- name:`)")
    names: set[str] = set()
    return [
        _parse_source(raw, f"sources[{i}]", doc, names, source_types)
        for i, raw in enumerate(raw_sources)
    ]


class _NoSourceTypes:
    """Stands in for `source_types` when a config has no sources to check."""

    def known_types(self) -> list[str]:
        return []

    def settings_class(self, type_name: str) -> Any:  # pragma: no cover - no type is known
        raise ConfigError(f"unknown source type {type_name!r}")


def _source_types(data: Mapping[str, Any], given: SourceTypes | None) -> SourceTypes:
    if given is not None:
        return given
    if data.get("sources"):
        raise TypeError(
            "this config has sources: load it with repcli.sources.registry.load_config / "
            "parse_config, or pass source_types"
        )
    return _NoSourceTypes()


def _check_timezone(name: str, doc: Doc) -> None:
    from repcli.render.human import zone

    try:
        zone(name)
    except ValueError:
        raise doc.error(
            "output.timezone",
            f"unknown time zone {name!r}",
            "an IANA name such as Europe/Moscow, Asia/Almaty or UTC "
            "(where the system has no time zone data: pip install tzdata)",
        ) from None


def _alerts(raw: Any, doc: Doc) -> AlertSettings:
    alerts: AlertSettings = _coerce(AlertSettings, raw, "alerts", doc)
    for name, url in alerts.destinations.items():
        if "://" not in url:
            raise doc.error(
                f"alerts.destinations.{name}",
                f"{url!r} is not an apprise URL",
                "e.g. tgram://BOT_TOKEN/CHAT_ID, slack://..., mailto://..., json://host/path",
            )
        secrets.register(url)  # tokens live inside these URLs
    for i, rule in enumerate(alerts.rules):
        for dest in rule.to:
            if dest not in alerts.destinations:
                known = ", ".join(alerts.destinations) or "none"
                raise doc.error(
                    f"alerts.rules[{i}].to",
                    f"no destination named {dest!r} (known: {known})",
                    "add it under alerts.destinations",
                )
    return alerts


def _check_token(value: str, key_path: str, doc: Doc) -> None:
    """A token, key or secret goes into an HTTP header or URL as it is: one line of printable
    ASCII without spaces. (A secret setting whose metadata says `document` may be a file path
    or a PEM / JSON text instead.) The message never shows the value."""
    if "\n" in value or "\r" in value:
        problem = "a newline"
    elif any(c.isspace() for c in value):
        problem = "whitespace"
    elif not value.isprintable():
        problem = "a control character"
    elif not value.isascii():
        problem = "a non-ASCII character"
    else:
        return
    used = doc.variables.get(key_path)
    source = f"its value comes from ${used[0]}" if used else "check its value"
    raise doc.error(
        key_path,
        f"contains {problem}; a token is one line of printable ASCII with no spaces",
        f'{source}: copy the token alone (a file read with "$(cat FILE)" keeps no final '
        "newline; `tr -d '[:space:]'` removes stray ones)",
    )


def _sla_values(raw: Any, key_path: str, doc: Doc) -> dict[str, float]:
    sla = _coerce(SlaHours, raw, key_path, doc)
    values = {k: v for k, v in dataclasses.asdict(sla).items() if v is not None}
    for kind, hours in values.items():
        if hours <= 0:
            raise doc.error(f"{key_path}.{kind}", "must be a positive number of hours")
    return values


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _parse_source(
    raw: Any, key_path: str, doc: Doc, names: set[str], source_types: SourceTypes
) -> SourceConfig:
    if not isinstance(raw, dict):
        raise doc.error(key_path, "expected a mapping with at least `name` and `type`")
    for required in ("name", "type"):
        if required not in raw:
            raise doc.error(key_path, f"missing required key {required!r}")
    name = raw["name"]
    if not isinstance(name, str) or not _NAME.match(name):
        raise doc.error(
            f"{key_path}.name",
            f"{name!r} is not a valid source name",
            "use letters, digits, '-', '_' or '.', e.g. wb-main",
        )
    if name in names:
        raise doc.error(f"{key_path}.name", f"source name {name!r} is used twice")
    names.add(name)
    type_name = raw["type"]
    known = source_types.known_types()
    if type_name not in known:
        close = difflib.get_close_matches(str(type_name), known, n=1)
        hint = (
            (f"did you mean {close[0]!r}? " if close else "") + "known types: " + ", ".join(known)
        )
        raise doc.error(f"{key_path}.type", f"unknown source type {type_name!r}", hint)
    common = {k: v for k, v in raw.items() if k in _SOURCE_COMMON}
    specific = {k: v for k, v in raw.items() if k not in _SOURCE_COMMON}
    settings_cls = source_types.settings_class(type_name)
    all_keys = _SOURCE_COMMON | {f.name for f in dataclasses.fields(settings_cls)}
    for key in specific:
        if key not in all_keys:
            raise _unknown_key(doc, f"{key_path}.{key}", str(key), all_keys)
    # A credential that cannot be used (a missing ${VAR}, a malformed token) is an error only
    # when the source is used: offline commands never need it (SourceConfig.require_secrets).
    unresolved = {k: v.error for k, v in specific.items() if isinstance(v, Unresolved)}
    placeholders = dict.fromkeys(unresolved, "")  # checked as strings, then None below
    settings = build_dataclass(settings_cls, {**specific, **placeholders}, key_path, doc)
    for field in dataclasses.fields(settings_cls):
        value = getattr(settings, field.name)
        if field.metadata.get("secret") and isinstance(value, str) and field.name not in unresolved:
            secrets.register(value)
            if not field.metadata.get("document"):
                try:
                    _check_token(value, f"{key_path}.{field.name}", doc)
                except ConfigError as exc:
                    unresolved[field.name] = exc
    if unresolved:
        settings = dataclasses.replace(settings, **dict.fromkeys(unresolved))
    kwargs = build_dataclass(SourceConfig, common, key_path, doc, skip={"settings", "unresolved"})
    if kwargs.get("sla_hours") is not None and kwargs["sla_hours"] <= 0:
        raise doc.error(f"{key_path}.sla_hours", "must be a positive number of hours")
    if kwargs.get("timeout") is not None and not 0 < kwargs["timeout"] < float("inf"):
        raise doc.error(f"{key_path}.timeout", "must be a positive number of seconds, or null")
    _sla_values(raw.get("sla"), f"{key_path}.sla", doc)
    return SourceConfig(**kwargs, settings=settings, unresolved=types.MappingProxyType(unresolved))
