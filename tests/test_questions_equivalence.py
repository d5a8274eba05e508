"""The cheaper question path (`questions.score` reading the text's own tokens unless a sentence
is left out) gives exactly what it gave before: tests/questions_reference.py is the module as it
was, frozen. Score, cues (negative and positive, in order) and polarity are compared as one
`TextScore`, with and without the caller's tokens, `is_question` of every kind, and
`_asks_only` of every sentence (it reads words found by one regular expression, where the
frozen copy tokenized each sentence)."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from repcli.analysis import questions
from repcli.analysis.cues import tokenize
from tests import questions_reference as reference

LANGS = (None, "ru", "uk", "en")

TEXTS = [
    # Russian: asking, hypothetical, yes/no, impatient, complaints beside a question.
    "Подскажите, а есть ли этот товар в белом цвете?",
    "А если придёт брак, вернёте деньги?",
    "Не линяет ли после стирки?",
    "Бывает ли, что приходит сломанный?",
    "Когда уже вернёте деньги?!",
    "Когда уже вернёте деньги!?",
    "Сколько можно ждать заказ??",
    "Где мой заказ? Жду уже две недели, ужасный сервис.",
    "Товар пришёл сломанный. Вернёте деньги?",
    "Товар пришёл сломанный. А если я верну его, вернёте деньги?",
    "Ужасное качество… Это нормально?",
    "Ужасное качество…Это нормально?…",
    "Скажите пожалуйста размер М на какой рост",
    "подскажите пожалуйста есть ли доставка в казань",
    "Разберитесь уже наконец с моим возвратом",
    "До сих пор нет ответа. Что происходит?",
    "Очень плохо упаковано, не рекомендую. Есть ли другой продавец?",
    "Отличный товар! А будет ли в продаже снова?",
    "Не плохой, но есть ли гарантия?",
    "ЕСЛИ ПРИДЁТ БРАК, ВЕРНЁТЕ ДЕНЬГИ?",
    "Ёсли что, вернёте?",
    "Или вы не отвечаете?",
    # Ukrainian.
    "Підкажіть, чи є доставка до Львова?",
    "Якщо не підійде розмір, можна повернути?",
    "Де моє замовлення? Чекаю вже два тижні, жахливо",
    "Коли вже повернете гроші?!",
    "Скільки можна чекати??",
    "Чи буває, що приходить зламаний? Бо мій зламався",
    "Розберіться з моїм поверненням. Досі нічого",
    "Якість жахлива… Що відбувається?",
    "Мʼяка тканина? Чи не линяє?",
    "Зʼявився брак — що робити?",
    # English.
    "Do you ship to Kazakhstan?",
    "Does it leak if you tip it over?",
    "Is there a warranty on the motor?",
    "Where is my order? Still waiting…",
    "Where's my refund?!",
    "Terrible quality. Can I return it?",
    "Can I return it? It's terrible, broken on day one.",
    "What if it arrives broken?",
    "Whether it fits or not, can I exchange it?",
    "Don't you check the parcels?? Awful",
    "how much longer do I have to wait",
    "Any update on my order",
    "Great product! Will it be back in stock?",
    "Not bad at all. Is it waterproof?",
    "Hi! Does it leak? Mine does, it's awful.",
    "If'x broken? do'nt know?",
    # Punctuation, lines and the places `_SENTENCE` leaves out.
    "",
    "   ",
    "\n\n",
    "?",
    "??",
    "?!",
    "...",
    "…",
    "? ужасно",
    "?! Когда уже",
    "!? где мой заказ",
    "Ужасно\n?! Когда уже",
    "Ужасно\n\n!!! Где мой заказ?",
    "Где мой заказ?\n!Ужасно",
    "Где мой заказ?\n\n?! разберитесь",
    "Ли брак?\n...ужасно",
    "Если брак?\n",
    "Если брак?\r\nУжасно.\r\n",
    "Если брак?   \n   \nУжасно",
    "Брак ли?\tУжасно\t",
    "Брак ли ?  ужасно  ?",
    "ужасно, , ; : ( ) ?",
    "(ужасно) ли?",
    "Ужасно 😡 ли?",
    "😡?",
    "Ли 😡?",
    "Где мой заказ 😡",
    "ли?ужасно?если?брак?",
    "Ли?!ужасно??если…брак?",
    "ужасно | ли?",
    "'ли? ужасно'",
    "ужасно' ли '?",
    "Ужасно\u2028ли брак?\u2028ужасно",
    "Does it? Ужасно. Is it?",
    "Ελληνικά ли? ужасно",
    "Вопро́с ли? Ужа́сно",
    "ЛИ’Х брак? if’ broken? ’if broken?",
    "do_ you? if2 broken? 42 if?",
    "Café terrible? Is it awful?",
    "Ли брак? Ли брак? Ли брак?",
    "Ужасный товар без вопросов",
    "Ужасный товар\nВернёте деньги?\nЕсли нет, то пишу жалобу",
]


def _same(text: str) -> None:
    for lang in LANGS:
        old = reference.score(text, lang)
        assert questions.score(text, lang) == old, (text, lang)
        assert questions.score(text, lang, tokenize(text)) == old, (text, lang)
        assert questions.score(text, lang).polarity == old.polarity
    for sentence in reference._SENTENCE.findall(text):
        assert questions._asks_only(sentence) == reference._asks_only(sentence), sentence
    for kind in ("comment", "question", "review"):
        assert questions.is_question(text, kind) == reference.is_question(text, kind), text


@pytest.mark.parametrize("text", TEXTS)
def test_the_same_as_before_on_written_texts(text: str) -> None:
    _same(text)


def test_the_written_texts_cover_both_paths() -> None:
    """Some written texts leave a sentence out (read joined), some are read whole."""
    dropped = [t for t in TEXTS if any(map(reference._asks_only, reference._SENTENCE.findall(t)))]
    assert len(dropped) >= 20
    assert len(TEXTS) - len(dropped) >= 20
    assert sum(questions._unread_mark(t) for t in TEXTS) >= 8


WORDS = [
    # Hypothetical and yes/no words, and words that hold them ("или", "gift").
    "ли", "Ли", "если", "ЕСЛИ", "ёсли", "бывает", "чи", "якщо", "буває", "if", "If", "whether",
    "do", "does", "Is", "are", "can", "will", "have", "или", "gift", "чиста",
    # Complaints, praise, question cues, negators and intensifiers.
    "ужасно", "брак", "сломан", "жахливо", "terrible", "awful", "broken", "отлично", "great",
    "когда", "уже", "сколько", "можно", "где", "мой", "заказ", "коли", "вже", "досі", "where",
    "my", "order", "still", "waiting", "не", "not", "очень", "very", "don't", "мʼяко", "it’s",
    "Café", "Ελλάδα", "_", "42",
]  # fmt: skip
MARKS = [
    " ", " ", " ", "  ", "\n", "\n\n", "\t", "\r\n", "\u2028", "\u00a0",
    ".", "!", "?", "?", "?!", "!?", "??", "???", "?.", "…", "...", ",", ";", ":", "(", ")",
    "'", "''", "ʼ", "’", "|", "-", "_", "😡", "👍", "\ufe0f", "\u0301",
]  # fmt: skip


@st.composite
def texts(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.sampled_from(WORDS + MARKS), max_size=24))
    return "".join(parts)


@settings(max_examples=3000, deadline=None)
@given(texts())
@example("Ужасно\n?! когда уже")
@example("ли? \n!ужасно")
def test_the_same_as_before_on_random_texts(text: str) -> None:
    _same(text)


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="лиесйfd оуж?!.…\n ,'’ʼ_😡|\u0301", max_size=40))
def test_the_same_as_before_on_random_characters(text: str) -> None:
    _same(text)
