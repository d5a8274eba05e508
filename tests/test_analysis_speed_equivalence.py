"""The fast per-item analysis (issues 19 and 23) gives what the analysis before it gave
(tests/analysis_speed_reference.py, frozen at c03b107): the same verdicts, scores, reasons,
topics and languages, the same lexicon scores and cues in every language group, the same
topics with and without an app, on generated texts made of the cue words themselves.

One exception, by design (issue 19): an unrated comment that does not ask is read by the
lexicon blended with the shipped word table (tests/test_comment_model.py), so its verdict is
not compared; its language, extortion wording and non-empty reasons are."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repcli.analysis import lang, questions, trained
from repcli.analysis.cues import tokenize
from repcli.analysis.negativity import LexiconModel
from repcli.analysis.topics import TopicTagger, merged_taxonomy
from repcli.analysis.verdict import Analyzer
from repcli.models import Item
from tests import analysis_speed_reference as reference
from tests.test_cue_pass import MAPS, SEPARATORS, TEXTS, WORDS

WHEN = datetime(2026, 11, 23, tzinfo=UTC)
PLATFORMS = ("wildberries", "app_store", "google_play", "vk")
KINDS = ("review", "comment", "question")
USER_TOPICS = {
    "topics": {
        "shapes": {"label": {"en": "Shapes"}, "cues": {"ru": sorted(MAPS["shapes"])}},
        "delivery": {"cues": {"ru": ["долго везли", "курьер$ не$"]}},
        "app_crash": {"scope": "app", "replace": True, "cues": {"en": ["crash", "freez"]}},
    }
}

NEW_LEXICON, OLD_LEXICON = LexiconModel(), reference.LexiconModel()
NEW_TOPICS, OLD_TOPICS = TopicTagger(), reference.TopicTagger()
USER_TAXONOMY = merged_taxonomy(USER_TOPICS)
NEW_USER_TOPICS = TopicTagger(USER_TAXONOMY)
OLD_USER_TOPICS = reference.TopicTagger(USER_TAXONOMY)
NEW_ANALYZER, OLD_ANALYZER = Analyzer(), reference.Analyzer()


def _item(
    text: str, rating: int | None, kind: str, platform: str, extra: tuple[str, str, str]
) -> Item:
    title, pros, cons = extra
    return Item(
        source="s", platform=platform, kind=kind, external_id="1", created_at=WHEN,
        text=text, rating=rating, title=title or None, pros=pros or None, cons=cons or None,
    )  # fmt: skip


def _verdicts(item: Item) -> tuple[object, object]:
    return dataclasses.astuple(NEW_ANALYZER.analyse(item)), dataclasses.astuple(
        OLD_ANALYZER.analyse(item)
    )


def _read_by_the_blend(item: Item) -> bool:
    """An unrated comment that does not ask (the reference's own question test)."""
    if item.kind != "comment" or item.rating is not None:
        return False
    parts = (item.title, item.text, item.cons)
    scored = "\n".join(p for p in parts if p) if item.title or item.cons else item.text or ""
    return not reference.is_question(scored, item.kind)


def _assert_as_before(new_analyzer: Analyzer, old_analyzer: object, item: Item) -> None:
    """The same verdict; for an unrated comment that does not ask, the same language and
    extortion wording, and no empty reason."""
    new, old = new_analyzer.analyse(item), old_analyzer.analyse(item)  # type: ignore[attr-defined]
    if not _read_by_the_blend(item):
        assert dataclasses.astuple(new) == dataclasses.astuple(old)
        return
    assert new.lang == old.lang
    assert ("extortion" in new.topics) == ("extortion" in old.topics)
    assert new.negative == bool(new.reasons)
    assert all(r not in ("text:", "text: ") and r.strip() for r in new.reasons)


def _fields(score: object) -> tuple[object, ...]:
    return dataclasses.astuple(score)  # type: ignore[call-overload]


def _assert_same_reading(text: str) -> None:
    assert lang.detect_language(text) == reference.detect_language(text)
    for code in (None, "ru", "uk", "en", "xx"):
        assert _fields(NEW_LEXICON.score(text, code)) == _fields(OLD_LEXICON.score(text, code))
    assert _fields(questions.score(text, "ru")) == _fields(reference.question_score(text, "ru"))
    assert questions.is_question(text, "review") == reference.is_question(text, "review")
    for app in (None, True, False):
        assert NEW_TOPICS.tag(text, app=app) == OLD_TOPICS.tag(text, app=app), app
        assert NEW_USER_TOPICS.tag(text, app=app) == OLD_USER_TOPICS.tag(text, app=app), app


@settings(max_examples=400, deadline=None)
@given(
    TEXTS,
    st.sampled_from([None, 1, 2, 3, 4, 5]),
    st.sampled_from(KINDS),
    st.sampled_from(PLATFORMS),
    st.tuples(TEXTS, TEXTS, TEXTS),
)
def test_verdicts_are_as_before(
    text: str, rating: int | None, kind: str, platform: str, extra: tuple[str, str, str]
) -> None:
    _assert_as_before(NEW_ANALYZER, OLD_ANALYZER, _item(text, rating, kind, platform, extra))


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_scores_topics_and_language_are_as_before(text: str) -> None:
    _assert_same_reading(text)


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_any_text_reads_as_before(text: str) -> None:
    _assert_same_reading(text)


def _corpus(n: int, seed: int) -> list[str]:
    """Review-length texts of cue words, intensifiers, negators and punctuation."""
    rng = random.Random(seed)
    glue = ["очень", "не", "дуже", "very", "not", "так", "і", "и", "просто", "без", "no", "ні"]
    texts = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 45)):
            word = rng.choice(WORDS if rng.random() < 0.7 else glue)
            if rng.random() < 0.2:
                word += rng.choice(["а", "ы", "ие", "ой", "ing", "s", "ed"])
            if rng.random() < 0.1:
                word = word.capitalize()
            parts.append(word + rng.choice(SEPARATORS))
        texts.append("".join(parts))
    return texts


CORPUS = _corpus(1500, seed=19)


def test_a_corpus_of_review_length_texts_reads_as_before() -> None:
    rng = random.Random(23)
    for text in CORPUS:
        _assert_same_reading(text)
        item = _item(
            text,
            rng.choice([None, 1, 2, 3, 4, 5]),
            rng.choice(KINDS),
            rng.choice(PLATFORMS),
            (rng.choice(["", *CORPUS[:50]]), rng.choice(["", *CORPUS[50:100]]), ""),
        )
        _assert_as_before(NEW_ANALYZER, OLD_ANALYZER, item)


def test_verdicts_with_a_trained_model_are_as_before() -> None:
    texts = CORPUS[:400]
    labels = [("не" in t) != ("брак" in t) for t in texts]
    model = trained.fit(texts, labels)
    new = Analyzer(model=trained.BlendedModel(model, LexiconModel()))
    old = reference.Analyzer(model=trained.BlendedModel(model, reference.LexiconModel()))
    rng = random.Random(7)
    for text in CORPUS[400:900]:
        item = _item(text, rng.choice([None, 2, 4, 5]), rng.choice(KINDS), "vk", ("", "", ""))
        assert dataclasses.astuple(new.analyse(item)) == dataclasses.astuple(old.analyse(item))


@pytest.mark.parametrize(
    "text",
    [
        "Не работает!!! Верните деньги 😡",
        "Курьер опоздал на два дня, коробка мятая. Очень плохо",
        "Доставка быстрая, всё отлично 👍",
        "Приложение вылетает, не могу войти. Crash after update",
        "Заплатите 500 грн и я удалю отзыв",
        "А если придёт брак, вернёте деньги?",
        "Когда уже вернёте деньги?!",
        "",
        "...",
    ],
)
def test_known_texts_read_as_before(text: str) -> None:
    _assert_same_reading(text)
    for rating in (None, 1, 3, 5):
        assert (
            _verdicts(_item(text, rating, "review", "wildberries", ("", "", "")))[0]
            == (_verdicts(_item(text, rating, "review", "wildberries", ("", "", "")))[1])
        )


def _extortion_texts() -> list[str]:
    taxonomy = merged_taxonomy(None)
    cues = [c for words in taxonomy["topics"]["extortion"]["cues"].values() for c in words]
    texts = []
    for cue in cues:
        words = cue.replace("$", "").split()
        texts += [" ".join(words), "Товар норм, но " + " ".join(w + "ь" for w in words) + "!"]
    return texts


@pytest.mark.parametrize("text", _extortion_texts())
def test_praise_that_extorts_is_still_tagged(text: str) -> None:
    """Topics are looked for under praise only when an extortion cue may be in the text: that
    look never misses one."""
    for rating in (None, 5):
        item = _item(text, rating, "review", "wildberries", ("", "", ""))
        new, old = _verdicts(item)
        assert new == old
    tokens = tokenize(text)
    if "extortion" in NEW_TOPICS.tag(text, tokens):
        assert NEW_TOPICS.may_extort(tokens)


def test_praise_without_extortion_is_not_tagged() -> None:
    assert not NEW_TOPICS.may_extort(tokenize("Курьер опоздал, коробка мятая, но товар отличный"))
    assert NEW_TOPICS.may_extort(tokenize("Заплатите 500 грн и я удалю отзыв"))
