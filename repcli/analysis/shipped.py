"""The data files shipped in `repcli/analysis/data/` (lexicon, topics), parsed once."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

# The C loader (when PyYAML has it) parses the lexicon ~10x faster than the pure-Python one.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def load_yaml(name: str) -> dict[str, Any]:
    text = resources.files("repcli.analysis").joinpath(f"data/{name}").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
    return data
