"""Topics: why an item is negative (delivery, damaged, size, ...), from an editable taxonomy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from repcli.analysis.cues import CueMatcher, tokenize
from repcli.analysis.shipped import load_yaml
from repcli.errors import ConfigError

EXTORTION = "extortion"
APP_PLATFORMS = frozenset({"app_store", "google_play"})
"""Platforms whose reviews are of an app: topics with `scope: app` apply to them."""


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
        if "scope" in spec:
            if spec["scope"] not in (None, "app"):
                raise ValueError(
                    f"{origin}: topics.{name}.scope: expected `app` (or nothing), "
                    f"got {spec['scope']!r}"
                )
            current["scope"] = spec["scope"]
        if isinstance(spec.get("label"), dict):
            current["label"] = {**(current.get("label") or {}), **spec["label"]}
        for lang, words in (spec.get("cues") or {}).items():
            if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                raise ValueError(f"{origin}: topics.{name}.cues.{lang}: expected a list of words")
            current.setdefault("cues", {}).setdefault(lang, [])
            current["cues"][lang] = [*(current["cues"].get(lang) or []), *words]
    return data


def tagger_for(path: Path | None, read: Callable[[Path], Any]) -> TopicTagger:
    """The topic tagger of a config: the built-in taxonomy, with the file of its `topics:`
    (`Config.topics`) over it when there is one. `read` reads that YAML file
    (`repcli.config.read_yaml_file`: the config's limits, errors as ConfigError)."""
    if path is None:
        return TopicTagger()
    import yaml

    try:
        return TopicTagger(merged_taxonomy(read(path), str(path)))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError) as exc:
        raise ConfigError(
            f"{path}: cannot use this topics file: {exc}",
            "fix it, or remove `topics:` from the config (README, 'Topics')",
        ) from None


class TopicTagger:
    def __init__(self, taxonomy: dict[str, Any] | None = None) -> None:
        data = taxonomy if taxonomy is not None else load_yaml("topics.yaml")
        self.labels: dict[str, dict[str, str]] = {}
        cues: dict[str, float] = {}
        self._topic_of: dict[str, str] = {}
        self._app_only: set[str] = set()
        for topic, spec in (data.get("topics") or {}).items():
            self.labels[topic] = spec.get("label") or {}
            if spec.get("scope") == "app":
                self._app_only.add(topic)
            for words in (spec.get("cues") or {}).values():
                for cue in words or ():
                    cues[cue] = 1.0
                    self._topic_of[cue] = topic
        app_words = [w for words in (data.get("app_words") or {}).values() for w in words or ()]
        for word in app_words:
            cues.setdefault(word, 1.0)
        self._app_words = frozenset(w for w in app_words if w not in self._topic_of)
        self._matcher = CueMatcher(cues)
        self._may_extort = self._matcher.among(
            c for c, t in self._topic_of.items() if t == EXTORTION
        )

    def may_extort(self, tokens: list[str]) -> bool:
        """False when `tag` surely finds no extortion in these tokens (a cheap look: the
        analysis tags a text that is no complaint only to find extortion)."""
        return self._may_extort(tokens)

    def tag(
        self, text: str, tokens: list[str] | None = None, app: bool | None = None
    ) -> tuple[str, ...]:
        """Topics in order of first mention, each once. `tokens`: the text's `tokenize`, when
        the caller has it already. `app`: whether the item is an app-store review; when False,
        `scope: app` topics count only if the text names an app (None: unknown, they count)."""
        found: list[str] = []
        names_app = False
        for cue, _, _, _ in self._matcher.spans(tokenize(text) if tokens is None else tokens):
            if cue in self._app_words:
                names_app = True
                continue
            topic = self._topic_of[cue]
            if topic not in found:
                found.append(topic)
        if app is False and not names_app:
            found = [t for t in found if t not in self._app_only]
        if any(t.startswith("app_") for t in found) and "damaged" in found:
            # "doesn't work" in an app review is a bug, not a damaged parcel.
            found.remove("damaged")
        return tuple(found)
