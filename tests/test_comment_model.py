"""Unrated comments (VK, Telegram, YouTube, Reddit, ...) are read by the lexicon blended with
the shipped word table (issue 19): handwritten RU/UK/EN complaints are flagged with a reason
naming their words; praise, chat and plain questions are not. Reviews and questions keep the
lexicon and the question rules, and a trained model keeps the kinds it was validated on."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from repcli.analysis import trained
from repcli.analysis.cues import tokenize
from repcli.analysis.negativity import LexiconModel
from repcli.analysis.verdict import Analyzer
from repcli.analysis.word_weights import BuiltinModel, WordWeights
from repcli.models import Item, Kind

WHEN = datetime(2026, 11, 23, tzinfo=UTC)
ANALYZER = Analyzer()

COMPLAINTS = [
    "Ненавижу вашу доставку, третий раз одно и то же",
    "Ужас какой-то, курьер нахамил и уехал",
    "Деньги списали дважды, а поддержка молчит. Больше никогда к вам",
    "Це просто жах, посилка загубилась, а всім байдуже",
    "Дуже розчарована вашим магазином, більше не замовлятиму",
    "Мене дратує ваш сервіс, гроші досі не повернули",
    "I hate this app, it keeps logging me out",
    "Awful experience, the package was lost and nobody cares",
    "Worst customer service ever, still waiting for my refund",
]
NOT_COMPLAINTS = [
    "Спасибо большое, всё пришло вовремя, очень довольна!",
    "Всем привет, сегодня забрала заказ с пункта выдачи",
    "Класс, беру второй раз",
    "Подскажите, а когда будет новая коллекция",
    "Дякую, все чудово, рекомендую всім",
    "Привіт усім, хто теж чекає на розпродаж у п'ятницю",
    "Чи є доставка до Одеси?",
    "Love it, thanks so much!",
    "Just got mine today, going to try it this weekend",
    "Do you ship to Canada?",
    # praise by negation: the table alone reads "не", "not", "bad" as complaint words
    "Совсем не плохо за свои деньги, пользуюсь месяц",
    "Ношу не снимая, спасибо 👍",
    "Not bad at all, the charger works great",
]
MISSED_BY_THE_LEXICON = ["Ненавижу вашу доставку, третий раз одно и то же"]


def _item(text: str, kind: Kind = "comment", rating: int | None = None) -> Item:
    return Item(
        source="s", platform="vk", kind=kind, external_id="1", created_at=WHEN, text=text,
        rating=rating,
    )  # fmt: skip


def _named_in(cue: str, text: str) -> bool:
    """Every word of a cue begins a word of the text (cues are often stems), or is in it."""
    tokens = tokenize(text)
    return all(any(t.startswith(w) for t in tokens) or w in text for w in cue.split())


@pytest.mark.parametrize("text", COMPLAINTS)
def test_complaints_are_flagged_with_their_words(text: str) -> None:
    verdict = ANALYZER.analyse(_item(text))
    assert verdict.negative, verdict
    assert verdict.sentiment == "negative"
    reason = verdict.reasons[0]
    assert reason.startswith("text: ")
    cues = reason.removeprefix("text: ").split(", ")
    assert cues and all(cues), reason
    assert all(_named_in(cue, text) for cue in cues), reason


@pytest.mark.parametrize("text", NOT_COMPLAINTS)
def test_praise_chat_and_questions_are_not(text: str) -> None:
    verdict = ANALYZER.analyse(_item(text))
    assert not verdict.negative, verdict
    assert verdict.reasons == ()


@pytest.mark.parametrize("text", MISSED_BY_THE_LEXICON)
def test_the_blend_finds_what_the_lexicon_misses_in_comments_only(text: str) -> None:
    assert ANALYZER.analyse(_item(text)).negative
    assert not ANALYZER.analyse(_item(text, "review")).negative  # reviews: the lexicon
    assert LexiconModel().score(text, None).score < 0.5


def test_which_model_reads_which_item() -> None:
    analyzer = Analyzer()
    text = "Ненавижу вашу доставку"
    assert analyzer.text_model(_item(text, "review"), text) is analyzer.lexicon
    assert analyzer._comments is None  # the table is read only once a comment comes
    assert analyzer.text_model(_item(text, "question"), text) is None
    assert analyzer.text_model(_item(text + "?"), text + "?") is None  # asks: question rules
    assert analyzer.text_model(_item(text, rating=2), text) is analyzer.lexicon
    comments = analyzer.text_model(_item(text), text)
    assert isinstance(comments, BuiltinModel)
    assert comments.lexicon is analyzer.lexicon


@pytest.mark.parametrize(
    ("kinds", "reads_comments"), [(None, True), (("review", "comment"), True), (("review",), False)]
)
def test_a_trained_model_keeps_the_kinds_it_was_validated_on(
    kinds: tuple[str, ...] | None, reads_comments: bool
) -> None:
    texts = [*COMPLAINTS, *NOT_COMPLAINTS] * 3
    model = trained.fit(texts, [t in COMPLAINTS for t in texts])
    blend = trained.BlendedModel(model, LexiconModel(), kinds=kinds)
    analyzer = Analyzer(model=blend)
    text = COMPLAINTS[0]
    reader = analyzer.text_model(_item(text), text)
    if reads_comments:
        assert reader is blend
    else:
        assert isinstance(reader, BuiltinModel)
    assert analyzer.text_model(_item(text, "review"), text) is blend


def test_words_name_what_pushed_towards_a_complaint() -> None:
    table = WordWeights(
        {"awful": 3.0, "не": 2.0, "!работает": 1.5, "и": 0.9, "me": 2.5, "sounds weird": 2.0,
         "weird": 0.5, "nice": -3.0},
        0.0,
    )  # fmt: skip
    words = table.words(tokenize("Не работает и awful. It sounds weird, nice, me"))
    # the negator goes with the word it negates; the pair outweighs "weird" alone; "и" (0.9)
    # and "me" (2 letters) say too little to be named
    assert words == ["не работает", "awful", "sounds weird"]
    assert table.words(tokenize("awful awful, AWFUL"), 3) == ["awful"]
    assert table.words(tokenize("Нет, не.")) == []  # "не" alone, 2 letters
    assert table.words(tokenize("nice")) == []


def test_reasons_add_table_words_the_lexicon_does_not_name() -> None:
    table = WordWeights({"ужасный": 3.0, "лжецы": 3.0, "и": 0.5}, 2.0, (1.0, 0.0, 0.0))
    model = BuiltinModel(LexiconModel(), table)
    score = model.score("Ужасный магазин, лжецы и", "ru")
    assert score.score >= 0.5
    assert score.negative_cues[0] == "ужасн"  # the lexicon's cue first
    assert "ужасный" not in score.negative_cues  # named by it already
    assert "лжецы" in score.negative_cues
    # nothing weighs enough to be named: the heaviest word still is
    light = BuiltinModel(LexiconModel(), WordWeights({"хм": 0.5}, 2.0))
    assert light.score("хм", "ru").negative_cues == ("хм",)
