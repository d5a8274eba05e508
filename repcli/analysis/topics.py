"""Topics: why an item is negative (delivery, damaged, size, ...), from an editable taxonomy."""

from __future__ import annotations

from typing import Any

from repcli.analysis.cues import CueMatcher, tokenize
from repcli.analysis.shipped import load_yaml

EXTORTION = "extortion"


class TopicTagger:
    def __init__(self, taxonomy: dict[str, Any] | None = None) -> None:
        data = taxonomy if taxonomy is not None else load_yaml("topics.yaml")
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
