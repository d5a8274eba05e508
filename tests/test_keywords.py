from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from repcli.sources.wire.keywords import KeywordFilter, stem


@pytest.mark.parametrize(
    ("keyword", "text"),
    [
        ("Уютный дом", "Заказывала в уютном доме плед"),
        ("Уютный дом", "УЮТНОГО ДОМА нет в наличии?"),
        ("худи", "Худи пришло рваное"),
        ("чайник", "чайники у вас бьются"),
        ("Затишна хата", "У затишній хаті купила ковдру"),
        ("kettle", "Two kettles arrived broken"),
        ("Домашний текстиль", "В домашнем текстиле разбираются"),
    ],
)
def test_forms_and_case_match(keyword: str, text: str) -> None:
    assert KeywordFilter(include=[keyword])(text)


def test_include_exclude() -> None:
    flt = KeywordFilter(include=["уютный дом"], exclude=["вакансия", "розыгрыш"])
    assert flt("Уютный дом, где мой заказ?")
    assert not flt("Уютный дом объявляет розыгрыш!")
    assert not flt("Просто про погоду")
    assert KeywordFilter()("anything at all")


def test_stem_keeps_short_words() -> None:
    assert stem("дом") == "дом"
    assert stem("домами") == "дом"


@given(st.text(), st.lists(st.text(max_size=20), max_size=3))
def test_any_text_any_keywords(text: str, words: list[str]) -> None:
    assert KeywordFilter(include=words, exclude=words[:1])(text) in (True, False)
