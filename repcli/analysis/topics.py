"""Topics: why an item is negative (delivery, damaged, size, ...), from an editable taxonomy."""

from __future__ import annotations

from typing import Any

from repcli.analysis.cues import CueMatcher, tokenize
from repcli.analysis.shipped import load_yaml

EXTORTION = "extortion"


def merged_taxonomy(user: dict[str, Any] | None, origin: str = "topics file") -> dict[str, Any]:
    """The shipped taxonomy with the user's file over it: a topic of the same name gets the
    user's label and extra cues (all of its cues replaced with `replace: true`); new names are
    new topics. ValueError naming `origin` for a malformed file."""
    import copy

    data = copy.deepcopy(load_yaml("topics.yaml"))
    if not user:
        return data
    topics = user.get("topics") if isinstance(user, dict) else None
    if not isinstance(topics, dict):
        raise ValueError(f"{origin}: expected `topics:` with a mapping of topic names")
    merged = data.setdefault("topics", {})
    for name, spec in topics.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("cues", {}), dict):
            raise ValueError(
                f"{origin}: topics.{name}: expected {{label: {{...}}, cues: {{ru: [...], ...}}}}"
            )
        current = merged.setdefault(str(name), {"label": {}, "cues": {}})
        if spec.get("replace"):
            current["cues"] = {}
        if isinstance(spec.get("label"), dict):
            current["label"] = {**(current.get("label") or {}), **spec["label"]}
        for lang, words in (spec.get("cues") or {}).items():
            if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                raise ValueError(f"{origin}: topics.{name}.cues.{lang}: expected a list of words")
            current.setdefault("cues", {}).setdefault(lang, [])
            current["cues"][lang] = [*(current["cues"].get(lang) or []), *words]
    return data


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

    def tag(self, text: str, tokens: list[str] | None = None) -> tuple[str, ...]:
        """Topics in order of first mention, each once. `tokens`: the text's `tokenize`, when
        the caller has it already."""
        found: list[str] = []
        for hit in self._matcher.find(tokenize(text) if tokens is None else tokens):
            topic = self._topic_of[hit.cue]
            if topic not in found:
                found.append(topic)
        if any(t.startswith("app_") for t in found) and "damaged" in found:
            # "doesn't work" in an app review is a bug, not a damaged parcel.
            found.remove("damaged")
        return tuple(found)
