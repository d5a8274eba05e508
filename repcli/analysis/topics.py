"""Topics: why an item is negative (delivery, damaged, size, ...), from an editable taxonomy."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from repcli.analysis.cues import CueMatcher, tokenize

EXTORTION = "extortion"


@cache
def _taxonomy() -> dict[str, Any]:
    ref = resources.files("repcli.analysis").joinpath("data/topics.yaml")
    data: dict[str, Any] = yaml.safe_load(ref.read_text(encoding="utf-8"))
    return data


class TopicTagger:
    def __init__(self, taxonomy: dict[str, Any] | None = None) -> None:
        data = taxonomy if taxonomy is not None else _taxonomy()
        self.labels: dict[str, dict[str, str]] = {}
        cues: dict[str, float] = {}
        self._topic_of: dict[str, str] = {}
        for topic, spec in (data.get("topics") or {}).items():
            self.labels[topic] = spec.get("label") or {}
            for words in (spec.get("cues") or {}).values():
                for cue in words or ():
                    cues[cue] = 1.0
                    self._topic_of[cue] = topic
        self._matcher = CueMatcher(cues)

    def tag(self, text: str) -> tuple[str, ...]:
        """Topics in order of first mention, each once."""
        found: list[str] = []
        for hit in self._matcher.find(tokenize(text)):
            topic = self._topic_of[hit.cue]
            if topic not in found:
                found.append(topic)
        return tuple(found)
