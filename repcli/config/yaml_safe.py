"""YAML read safely, for the config and the files beside it (topics, reply templates): a size
cap, a nesting limit and a bound on alias expansion ("billion laughs"), each a ConfigError that
names the file and the line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from repcli.errors import ConfigError

MAX_CONFIG_BYTES = 1 << 20
"""A config (or topics file) larger than this is refused before it is parsed."""
MAX_DEPTH = 64
"""Nesting levels a YAML document may have (the composer recurses once per level)."""
MAX_ALIAS_NODES = 100_000
"""Nodes that aliases may add once expanded (a 'billion laughs' adds 10^9)."""


def read_capped(path: Path) -> str:
    """A YAML file's text; a ConfigError for one over MAX_CONFIG_BYTES (not read whole)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
        if len(data) > MAX_CONFIG_BYTES:
            size = max(path.stat().st_size, len(data))
            raise ConfigError(
                f"{path}: the config is {size:,} bytes, over 1 MiB",
                "a config is a few kilobytes: is this the right file?",
            )
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from None


class _Loader(yaml.SafeLoader):
    """PyYAML's SafeLoader that refuses nesting deeper than MAX_DEPTH."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"nested more than {MAX_DEPTH} levels deep",
                    self.peek_event().start_mark,  # type: ignore[no-untyped-call]
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _check_aliases(root: yaml.Node) -> None:
    """Refuse an alias that contains itself, and aliases that expand to more than
    MAX_ALIAS_NODES nodes: the composed graph is walked once, each node's expanded size
    remembered."""
    sizes: dict[int, int] = {}
    open_: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_:
            raise yaml.composer.ComposerError(
                None, None, "an alias refers to itself", node.start_mark
            )
        open_.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        open_.discard(key)
        sizes[key] = total
        if total - len(sizes) > MAX_ALIAS_NODES:
            raise yaml.composer.ComposerError(
                None,
                None,
                f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes (an alias bomb?)",
                node.start_mark,
            )
        return total

    size(root)


def parse_yaml(text: str, name: str, inspect: Callable[[yaml.Node], None] | None = None) -> Any:
    """The data of one YAML document, safely: no nesting deeper than MAX_DEPTH, no alias
    bombs, no text over MAX_CONFIG_BYTES; a ConfigError naming the line. `inspect` sees the
    composed node before it is constructed (merge keys not yet applied)."""
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{name}: the config is {len(text):,} characters, over 1 MiB")
    loader: _Loader | None = None
    try:
        loader = _Loader(text)  # the reader checks the characters here
        node = loader.get_single_node()
        if node is None:
            return None
        _check_aliases(node)
        if inspect is not None:
            inspect(node)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark else name
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            f"{where}: invalid YAML: {problem}",
            "check indentation and quoting around that line",
        ) from None
    except RecursionError:  # pragma: no cover - MAX_DEPTH stops it first
        raise ConfigError(f"{name}: invalid YAML: nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()


def read_yaml_file(path: Path) -> Any:
    """The data of a YAML file beside the config (e.g. `topics:`), within the same limits."""
    return parse_yaml(read_capped(path), str(path))
