"""The one-pass tokenizer, cue matcher (Aho-Corasick) and language detection agree with the
ones they replaced (tests/analysis_reference.py) on generated texts: same tokens, same cue
hits for the lexicon (every language group, the question cues) and the topics, same language."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repcli.analysis import cues, lang, questions
from repcli.analysis.negativity import LexiconModel
from repcli.analysis.shipped import load_yaml
from repcli.analysis.topics import TopicTagger
from tests import analysis_reference as reference


def _cue_maps() -> dict[str, dict[str, float]]:
    """Every cue list the analysis matches, as the models build them."""
    lexicon = load_yaml("lexicon.yaml")
    maps: dict[str, dict[str, float]] = {}
    for name, langs in (("ru", ("ru", "uk")), ("en", ("en",)), ("all", ("ru", "uk", "en"))):
        found: dict[str, float] = {}
        for code in reversed(langs):
            found.update({k: float(v) for k, v in (lexicon["negative"].get(code) or {}).items()})
            found.update({k: -float(v) for k, v in (lexicon["positive"].get(code) or {}).items()})
        maps[name] = found
    extra = lexicon.get("question_complaints") or {}
    maps["questions"] = {
        **maps["all"],
        **{k: float(v) for code in extra for k, v in (extra[code] or {}).items()},
    }
    topics: dict[str, float] = {}
    data = load_yaml("topics.yaml")
    for spec in data["topics"].values():
        for words in (spec.get("cues") or {}).values():
            topics.update(dict.fromkeys(words or (), 1.0))
    for words in (data.get("app_words") or {}).values():
        for word in words or ():
            topics.setdefault(word, 1.0)
    maps["topics"] = topics
    # Shapes the shipped lists may lack: short stems first in a phrase, a short stem second,
    # an exact word next to a stem of it, phrases sharing words.
    maps["shapes"] = {
        "не работа": 1.0, "не$ работает$": 2.0, "в срок": -1.0, "до$ сих пор": 1.0,
        "ок": 1.0, "ок$": -1.0, "брак": 2.0, "брак$": 3.0, "так$ і$ не$": 1.0,
        "не$ то": 1.0, "не$ то$ що$": 2.0, "a b$ c": 1.0, "don't": 1.0, "bad$ bad$": 1.0,
        "вообще не$ работа": 2.0, "plastic": 1.0, "plast": 2.0, "p": 1.0,
        "не$ п": 1.5, "не$ пра": 2.5, "не$ працю": 0.5, "не п": -0.5,
    }  # fmt: skip
    # Phrases of short stems over a large list: too many class sequences to write out, so they
    # are found by one word and checked (CueMatcher._checked).
    maps["wide"] = {
        **maps["all"], "п п": 1.0, "не$ п с": 2.0, "по$ пр": 1.5, "в$ с": -1.0, "с$ п": 1.0,
        "не$ пр ра": 2.0, "не по$": 0.5,
    }  # fmt: skip
    return maps


MAPS = _cue_maps()
NEW = {name: cues.CueMatcher(found) for name, found in MAPS.items()}
OLD = {name: reference.CueMatcher(found) for name, found in MAPS.items()}


def _words() -> list[str]:
    words = set()
    for found in MAPS.values():
        for cue in found:
            words.update(w.rstrip("$") for w in cue.split())
    return sorted(words)


WORDS = _words()
SEPARATORS = [
    " ", " ", " ", "  ", "\n", "\r\n", "-", ", ", ". ", "! ", "?", "?!", "...", "…", " (", ") ",
    ":", ";", "'", "’", "ʼ", " '", "' ", "|", "«", "»", "\"", " — ", "/", "😡", "👍", "❤️", "\t",
    "\xa0", "_", "№",
]  # fmt: skip
PIECES = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(WORDS).map(lambda w: w.upper() if len(w) % 2 else w.capitalize()),
    st.tuples(st.sampled_from(WORDS), st.sampled_from(["а", "ы", "ие", "ing", "s", "ё", "'s"])).map(
        "".join
    ),
    st.sampled_from(["нет", "ще", "ещё", "дуже", "very", "не", "і", "ь", "é", "ß", "ў", "ʼя", "5"]),
    st.text(min_size=1, max_size=3),
)
TEXTS = st.lists(st.tuples(PIECES, st.sampled_from(SEPARATORS)), max_size=30).map(
    lambda parts: "".join(a + b for a, b in parts)
)


def _hits(found: list[Any]) -> list[tuple[str, float, int, int]]:
    return [(h.cue, h.value, h.start, h.end) for h in found]


@settings(max_examples=600, deadline=None)
@given(TEXTS)
def test_tokens_cue_hits_and_language_are_as_before(text: str) -> None:
    tokens = cues.tokenize(text)
    assert tokens == reference.tokenize(text)
    for name, matcher in NEW.items():
        assert _hits(matcher.find(tokens)) == _hits(OLD[name].find(tokens)), name
    assert lang.detect_language(text) == reference.detect_language(text)
    assert lang.tokens_and_language(text) == (tokens, lang.detect_language(text))


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_tokenizes_and_matches_as_before(text: str) -> None:
    tokens = cues.tokenize(text)
    assert tokens == reference.tokenize(text)
    assert _hits(NEW["all"].find(tokens)) == _hits(OLD["all"].find(tokens))
    assert lang.detect_language(text) == reference.detect_language(text)
    assert lang.tokens_and_language(text) == (tokens, lang.detect_language(text))


@pytest.mark.parametrize(
    "text",
    [
        "5 за печь, но курьер нагрубил и бросил коробку у двери.",
        "Не работает!!! Верните деньги 😡",
        "Товар не соответствует описанию… (en | ru) — брак",
        "don't buy, it's a 'scam'. Doesn't work",
        "Обов'язково!..  Не  працює,дуже погано",
        "",
        "...",
        "Погано. ' . Не працює",
        "a. ' . b ' ' c",
    ],
)
def test_known_texts(text: str) -> None:
    tokens = cues.tokenize(text)
    assert tokens == reference.tokenize(text)
    for name, matcher in NEW.items():
        assert _hits(matcher.find(tokens)) == _hits(OLD[name].find(tokens)), name


def test_phrases_with_too_many_class_sequences_are_checked_one_by_one() -> None:
    matcher = NEW["wide"]
    assert {cue for *_, cue, _ in matcher._checked} >= {"п п", "не$ п с", "не$ пр ра"}
    tokens = cues.tokenize("Не пришла с опозданием, не просто рано. П пол")
    assert _hits(matcher.find(tokens)) == _hits(OLD["wide"].find(tokens))
    assert ("не$ пр ра", 2.0, 5, 8) in _hits(matcher.find(tokens))


def test_models_built_on_the_matcher_still_read_the_shipped_data() -> None:
    """The lexicon, the question rules and the topics through the new matcher (smoke)."""
    assert LexiconModel().score("Не работает, брак", "ru").score >= 0.5
    assert questions.score("Когда уже вернёте деньги?!", "ru").score >= 0.5
    assert "delivery" in TopicTagger().tag("Курьер опоздал на два дня", app=False)


def test_long_stems_and_tokens_match_as_before() -> None:
    """Stems longer than a single-word cue may be (phrase words) and tokens longer than the
    lengths the table lists one by one."""
    found = {
        "дд": 3.0, "д" * 64 + "$": 4.0, "x" * 65 + " " + "д" * 70: 5.0, "xx$ " + "д" * 63: 6.0,
    }  # fmt: skip
    words = ["д" * n for n in (1, 2, 63, 64, 65, 80)]
    text = " ".join([*words, "x" * 66, "д" * 80, "x" * 66, "д" * 69, "xx", "д" * 64])
    tokens = cues.tokenize(text)
    new, old = cues.CueMatcher(found), reference.CueMatcher(found)
    assert _hits(new.find(tokens)) == _hits(old.find(tokens))
    assert [h.value for h in new.find(tokens)] == [3.0, 3.0, 4.0, 3.0, 3.0, 5.0, 3.0, 6.0]
