"""A config file as the loader reads it: the parsed YAML, and where each key path sits in the
file, so that every error names the file, the line and the key:
`repcli.yaml:12: sources[2].token: environment variable OZON_API_KEY is not set`."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from repcli.config.yaml_safe import parse_yaml
from repcli.errors import ConfigError


class Doc:
    """The parsed YAML plus where each key path sits in the file, for error messages."""

    def __init__(self, text: str, path: Path | None) -> None:
        self.path = path
        self.lines: dict[str, int] = {}
        self.variables: dict[str, list[str]] = {}
        """Key path -> the environment variables its value was made from."""
        self.data = parse_yaml(
            text, str(path) if path else "<config>", lambda node: self._index(node, "")
        )

    def _index(self, node: yaml.Node, path: str) -> None:
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value)
                child = f"{path}.{key}" if path else key
                if key in seen:
                    raise ConfigError(
                        f"{self.where(child, key_node.start_mark.line + 1)}: duplicate key",
                        "each key may appear once; remove one of them",
                    )
                seen.add(key)
                self._index(value_node, child)
                self.lines[child] = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._index(item, f"{path}[{i}]")

    def where(self, key_path: str, line: int | None = None) -> str:
        name = str(self.path) if self.path else "<config>"
        if line is None:
            probe = key_path
            while probe and probe not in self.lines:
                shorter = re.sub(r"(\.[^.\[\]]+|\[\d+\])$", "", probe)
                probe = "" if shorter == probe else shorter
            line = self.lines.get(probe)
        prefix = f"{name}:{line}" if line else name
        return f"{prefix}: {key_path}" if key_path else prefix

    def error(self, key_path: str, problem: str, hint: str | None = None) -> ConfigError:
        return ConfigError(f"{self.where(key_path)}: {problem}", hint)
