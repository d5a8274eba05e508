"""The shipped word-weight table (`analysis/word_weights.py`): it loads, stays small, scores
in one pass, and reads handwritten RU/UK/EN complaints as negative, praise and plain
questions as not."""

from __future__ import annotations

from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from repcli.analysis.cues import tokenize
from repcli.analysis.word_weights import (
    FILE,
    BuiltinModel,
    WordWeights,
    dump,
    features,
    parse,
    shipped,
)

CAP_BYTES = 20 * 1024 * 1024

COMPLAINTS = [
    ("ru", "Ужасный сервис, курьер опоздал на три дня, деньги так и не вернули. Я в ярости"),
    ("ru", "Очень разочарована, куртка порвалась после первой стирки, отвратительное качество"),
    ("uk", "Жахливий сервіс, посилка прийшла розбита, ніхто не відповідає. Дуже розчарований"),
    ("uk", "Огидна якість, телефон зламався через тиждень, гроші не повернули"),
    ("en", "Terrible service, the courier was three days late and nobody answers. I am furious"),
    (
        "en",
        "Very disappointed, the jacket fell apart after one wash. Awful quality, waste of money",
    ),
]
PRAISE_AND_QUESTIONS = [
    ("ru", "Спасибо огромное, всё пришло быстро, качество отличное, очень довольна!"),
    ("ru", "Подскажите, пожалуйста, есть ли этот размер в синем цвете?"),
    ("uk", "Дякую, все чудово, доставка швидка, дуже задоволена покупкою!"),
    ("uk", "Підкажіть, будь ласка, коли буде доставка до Львова?"),
    ("en", "Thank you so much, it arrived quickly and the quality is great, love it!"),
    ("en", "Hi, do you ship to Canada and how long does delivery take?"),
]


def test_the_file_loads_and_is_under_the_cap() -> None:
    data = resources.files("repcli.analysis").joinpath(f"data/{FILE}").read_bytes()
    assert len(data) < CAP_BYTES
    table = shipped()
    assert len(table.weights) > 1000
    assert "goemotions" in table.meta["sources"]
    # int8: every weight is a multiple of one scale, at most 127 of it
    scale = max(abs(w) for w in table.weights.values()) / 127
    assert all(abs(round(w / scale) * scale - w) < 1e-9 for w in table.weights.values())


@pytest.mark.parametrize(("lang", "text"), COMPLAINTS)
def test_complaints_are_negative(lang: str, text: str) -> None:
    result = BuiltinModel().score(text, lang)
    assert result.score >= 0.5, result
    assert result.negative_cues


@pytest.mark.parametrize(("lang", "text"), PRAISE_AND_QUESTIONS)
def test_praise_and_questions_are_not(lang: str, text: str) -> None:
    assert BuiltinModel().score(text, lang).score < 0.5


def test_the_table_alone_ranks_complaints_above_praise() -> None:
    table = shipped()
    worst_praise = max(table.probability(t) for _, t in PRAISE_AND_QUESTIONS)
    assert all(table.probability(t) > worst_praise for _, t in COMPLAINTS)


def test_logit_is_the_features_weights_over_their_count() -> None:
    """The one-pass scorer sums exactly the features training used."""
    table = WordWeights({"не работает": 2.0, "!работает": 1.0, "~слома": 3.0, "ok": -1.0}, 0.5)
    tokens = tokenize("Сломался, не работает. ok")
    names = list(features(tokens))
    assert names == [
        *("сломался", "~слома", "не", "работает", "~работ", "!работает", "не работает", "ok")
    ]
    expected = 0.5 + (3.0 + 1.0 + 2.0 - 1.0) / len(names) ** 0.5
    z, worst = table.logit(tokens)
    assert z == pytest.approx(expected)
    assert worst == "сломался"  # 3.0 first; "работает" ties at 1.0 + 2.0, the first stays
    assert table.logit([]) == (0.5, None)


def test_dump_and_parse_round_trip() -> None:
    table = WordWeights(
        {"a": 0.25, "b c": -0.5, "~abcde": 0.75}, -0.1, (1.5, 2.0, -0.2), {"x": "y"}
    )
    again = parse(dump(table, 0.25))
    assert again == table
    with pytest.raises(ValueError, match="format"):
        parse(_with_format("other/1"))


def _with_format(name: str) -> bytes:
    import gzip

    return gzip.compress(f"#format\t{name}\n#bias\t0\n#blend\t1 0 0\n".encode())


_WORDS = ["не", "работает", "сломался", "ok", "not", "good", "very", "|", "the"]


@given(st.lists(st.sampled_from(_WORDS), max_size=12))
def test_logit_equals_the_flat_sum_of_features_on_any_tokens(tokens: list[str]) -> None:
    """Skipping the pairs and negated words the table has no feature for changes nothing."""
    table = WordWeights(
        {"не работает": 2.0, "!работает": 1.0, "!good": -0.5, "very good": -1.5, "ok": -1.0,
         "~слома": 3.0, "the ok": 0.25},
        0.5,
    )  # fmt: skip
    tokens = [
        t for i, t in enumerate(tokens) if not (t == "|" and (i == 0 or tokens[i - 1] == "|"))
    ]
    names = list(features(tokens))
    expected = 0.5 + (
        sum(table.weights.get(f, 0.0) for f in names) / len(names) ** 0.5 if names else 0.0
    )
    assert table.logit(tokens)[0] == pytest.approx(expected, abs=1e-12)
