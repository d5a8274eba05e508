from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repcli.analysis import Analyzer
from repcli.analysis.lang import detect_language
from repcli.analysis.negativity import LexiconModel
from repcli.analysis.topics import TopicTagger
from repcli.config import Thresholds
from repcli.models import Item

model = LexiconModel()
analyzer = Analyzer()


def review(text: str, rating: int | None = None, kind: str = "review", **kw: object) -> Item:
    return Item(
        source="s",
        platform="p",
        kind=kind,
        external_id="1",  # type: ignore[arg-type]
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        rating=rating,
        text=text,
        **kw,
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Не рекомендую, сломалось через день", "ru"),
        ("Посылка так и не пришла, деньги не вернули", "ru"),
        ("Жахлива якість, не рекомендую", "uk"),
        ("Товар не відповідає опису, гроші не повернули", "uk"),
        ("Doesn't work, stopped working after a day. Waste of money", "en"),
        ("Arrived broken and support never replied", "en"),
    ],
)
def test_complaints_are_negative(text: str, lang: str) -> None:
    result = model.score(text, detect_language(text))
    assert detect_language(text) == lang
    assert result.score >= 0.5, result
    assert result.negative_cues


@pytest.mark.parametrize(
    "text",
    [
        "не плохо",
        "Очень доволен, спасибо!",
        "Пришло без повреждений, всё отлично",
        "not bad at all",
        "Great quality, love it",
        "Чудова якість, дякую",
        "Какой размер брать при росте 170?",
    ],
)
def test_praise_and_negated_complaints_are_not_negative(text: str) -> None:
    assert model.score(text, detect_language(text)).score < 0.5


def test_rating_decides_and_reasons_say_why() -> None:
    verdict = analyzer.analyse(review("Нормально", rating=1))
    assert verdict.negative and verdict.reasons == ("rating 1★",)
    assert not analyzer.analyse(review("Отлично", rating=5)).negative


def test_complaint_under_five_stars_is_flagged() -> None:
    text = "Курьер опоздал на три дня, коробка пришла порванная и мятая, товар сломан, ужасно"
    verdict = analyzer.analyse(review(text, rating=5))
    assert verdict.negative
    assert verdict.reasons[0].startswith("complaint under 5★")
    assert "delivery" in verdict.topics


def test_thresholds_are_configurable() -> None:
    strict = Analyzer(Thresholds(negative_rating=3, neutral_rating=3))
    assert strict.analyse(review("ok", rating=3)).negative
    assert not analyzer.analyse(review("ok", rating=3)).negative


def test_unrated_comment_flagged_by_text_and_extortion_signal() -> None:
    verdict = analyzer.analyse(
        review("Верните деньги, иначе напишу везде плохие отзывы", kind="comment")
    )
    assert verdict.negative
    assert "extortion" in verdict.topics
    assert "extortion wording" in verdict.reasons
    en = analyzer.analyse(
        review("Refund me or I'll post 1-star reviews everywhere", kind="comment")
    )
    assert "extortion" in en.topics


def test_topics() -> None:
    tagger = TopicTagger()
    assert "size" in tagger.tag("Маломерит, пришлось вернуть")
    assert "delivery" in tagger.tag("Доставка задержалась на неделю")
    assert "app_crash" in tagger.tag("The app crashes on startup")


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Дякую, все чудово", "uk"),
        ("Спасибо, всё отлично", "ru"),
        ("Thanks, great", "en"),
        ("123 !!!", None),
    ],
)
def test_language(text: str, lang: str | None) -> None:
    assert detect_language(text) == lang


@settings(max_examples=300, deadline=None)
@given(st.text(), st.one_of(st.none(), st.integers(min_value=1, max_value=5)))
def test_any_text_gives_a_verdict(text: str, rating: int | None) -> None:
    verdict = analyzer.analyse(review(text, rating=rating))
    assert 0.0 <= verdict.score <= 1.0
    assert verdict.sentiment in ("negative", "neutral", "positive")


def test_a_topics_file_extends_and_overrides_the_taxonomy(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from repcli.analysis.topics import tagger_for
    from repcli.config import parse_config, read_yaml_file
    from repcli.errors import ConfigError

    extra = tmp_path / "topics.yaml"
    extra.write_text(
        "topics:\n"
        "  courier_rude:\n    label: {en: Rude courier, ru: Грубый курьер}\n"
        "    cues: {ru: [курьер хамил, нахамил]}\n"
        "  price:\n    replace: true\n    cues: {ru: [переплатил]}\n",
        encoding="utf-8",
    )
    config = parse_config("topics: topics.yaml\n", tmp_path / "repcli.yaml")
    tagger = tagger_for(config.topics, read_yaml_file)
    assert tagger.tag("Курьер хамил и опоздал") == ("courier_rude", "delivery")
    assert tagger.tag("Дорого, переплатил") == ("price",)
    assert "price" not in tagger.tag("Слишком дорого")  # the built-in price cues were replaced
    assert tagger.labels["courier_rude"]["ru"] == "Грубый курьер"
    extra.write_text("topics:\n  bad:\n    cues: {ru: слово}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"topics.bad.cues.ru: expected a list"):
        tagger_for(config.topics, read_yaml_file)
    extra.write_text("topics:\n  sync:\n    scope: apps\n    cues: {en: [sync]}\n")
    with pytest.raises(ConfigError, match=r"topics.sync.scope: expected `app`"):
        tagger_for(config.topics, read_yaml_file)
    extra.write_text("topics:\n  sync:\n    scope: app\n    cues: {en: [sync]}\n")
    tagger = tagger_for(config.topics, read_yaml_file)
    assert tagger.tag("sync fails", app=False) == ()
    assert tagger.tag("sync fails in the app", app=False) == ("sync",)


def test_app_problems_are_not_damaged_goods() -> None:
    from repcli.analysis.topics import TopicTagger

    tagger = TopicTagger()
    assert tagger.tag("Login with Google doesn't work since yesterday") == ("app_login",)
    assert tagger.tag("The kettle doesn't work, arrived broken") == ("damaged",)


def test_app_topics_need_an_app() -> None:
    """App causes ("closes", "slows down", "loading") are app crashes in an app-store review or
    a comment that names the app, not under a multicooker or a bicycle."""
    from repcli.analysis.topics import TopicTagger

    tagger = TopicTagger()
    lid = "Так себе. Крышка плохо закрывается"
    assert "app_crash" not in tagger.tag(lid, app=False)
    assert "app_crash" in tagger.tag(lid, app=True)
    assert "app_crash" in tagger.tag(lid)  # unknown (`repcli analyze` of bare texts)
    assert tagger.tag("Тормоза слабые, велосипед не держит", app=False) == ()
    assert tagger.tag("Приложение тормозит и вылетает", app=False) == ("app_crash",)
    assert tagger.tag("Застосунок постійно гальмує", app=False) == ("app_crash",)
    assert tagger.tag("The app freezes on startup", app=False) == ("app_crash",)
    assert "app_crash" not in tagger.tag("Довелося додатково доплатити за доставку", app=True)

    multicooker = review("Так себе.", rating=3, cons="Чаша царапается, крышка плохо закрывается")
    multicooker.platform = "yandex_market"
    assert "app_crash" not in analyzer.analyse(multicooker).topics
    multicooker.platform = "google_play"
    assert "app_crash" in analyzer.analyse(multicooker).topics


def test_causes_come_from_the_complaint_not_from_the_pros() -> None:
    item = review(
        "Крышка треснула при первом же использовании",
        rating=2,
        pros="Быстрая доставка, хорошая цена",
        cons="Хлипкий пластик",
    )
    verdict = analyzer.analyse(item)
    assert verdict.negative
    assert "damaged" in verdict.topics or "quality" in verdict.topics
    assert "delivery" not in verdict.topics and "price" not in verdict.topics
