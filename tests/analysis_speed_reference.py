"""The per-item analysis as it was before the speed work of issues 19 and 23 (commit c03b107):
cue matching, the lexicon score, topics, language and the verdict, frozen here as the reference
the fast path must agree with (tests/test_analysis_speed_equivalence.py). Only the data files
are shared with the package (`load_yaml`)."""

# ruff: noqa
# mypy: ignore-errors
from __future__ import annotations

import codecs
import dataclasses
import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any, NamedTuple, Protocol

import ahocorasick

from repcli.analysis.shipped import load_yaml
from repcli.config.model import Thresholds
from repcli.models import Item, Verdict


# ---- repcli/analysis/cues.py (c03b107) ----

BOUNDARY = "|"
"""The token punctuation becomes: phrases never match across it, negation stops at it."""
_MAX_STEM = 24
_PUNCTUATION_MARKS = ".,!?;:…()"
# Tokenising runs in C: a punctuation mark and whatever non-word characters follow it become
# one " | ", then words (with inner apostrophes) and those bars are found in one pass.
_PUNCTUATION = re.compile(rf"[{_PUNCTUATION_MARKS}][^\w]*")
_TOKEN = re.compile(r"\w+(?:'+\w+)*|\|")


def normalise(text: str) -> str:
    return text.lower().replace("ё", "е").replace("ʼ", "'").replace("’", "'")


def _byte_classes() -> bytes:
    """cp1251 (one byte a character: every Russian, Ukrainian and English letter) byte by byte:
    a word character stays, the apostrophe stays, a punctuation mark becomes "|", anything
    else (a "|" of the text too) a space."""
    table = bytearray(range(256))
    for byte in range(256):
        char = bytes([byte]).decode("cp1251", "replace")
        if char in _PUNCTUATION_MARKS:
            table[byte] = ord(BOUNDARY)
        elif char != "'" and not re.match(r"\w", char):
            table[byte] = ord(" ")
    return bytes(table)


_BYTE_CLASSES = _byte_classes()
_BARS = re.compile(rb"\|[ |']*")
"""A punctuation run with the non-word characters after it, among the classified bytes."""


def _not_a_word(error: UnicodeError) -> tuple[str, int]:
    """Outside cp1251: a space for what is no word character (emoji, symbols); a word character
    (Greek, accented Latin) leaves the fast path."""
    assert isinstance(error, UnicodeEncodeError)
    if any(c.isalnum() or c == "_" for c in error.object[error.start : error.end]):
        raise error
    return " ", error.end


codecs.register_error("repcli-reference-not-a-word", _not_a_word)


def tokenize(text: str) -> list[str]:
    """Lowercased words, and BOUNDARY where punctuation stood (never first, never twice).

    Words are runs of word characters joined by apostrophes (`\\w+(?:'+\\w+)*`); a
    punctuation mark and the non-word characters after it are one BOUNDARY. Text in cp1251's
    letters (almost every shop text) is classified byte by byte in C (~2x the regular
    expressions' speed); other text goes through the expressions, with the same result."""
    norm = normalise(text)
    try:
        data = norm.encode("cp1251", "repcli-reference-not-a-word")
    except UnicodeEncodeError:
        return _tokenize_slowly(norm)
    data = data.translate(_BYTE_CLASSES)
    if b"|" in data:
        data = _BARS.sub(b" | ", data)
    tokens = data.decode("cp1251").split()
    if b"'" in data:  # apostrophes only inside words
        tokens = [t for t in (t.strip("'") if "'" in t else t for t in tokens) if t]
    if tokens and tokens[0] == BOUNDARY:
        del tokens[0]
    return tokens


def _tokenize_slowly(norm: str) -> list[str]:
    tokens = _TOKEN.findall(_PUNCTUATION.sub(" | ", norm.replace("|", " ")))
    if tokens and tokens[0] == BOUNDARY:
        del tokens[0]
    return tokens


class Hit(NamedTuple):
    cue: str
    """The entry as written in the lexicon (for reasons shown to people)."""
    value: float
    start: int
    """Index of the first token matched."""
    end: int
    """Index after the last token matched."""


_Phrase = tuple[tuple[tuple[str, bool], ...], str, float]
"""(the words, each with `exact`), the cue as written, its value."""
_Single = tuple[str, float]


class _Pattern(NamedTuple):
    """What one key of the automaton stands for."""

    width: int
    """The key's length: where it ends minus this is where it starts."""
    exact: _Single | None
    """The single-word cue `word$` whose whole token this is."""
    stem: _Single | None
    """The single-word stem cue this is."""
    stem_length: int
    phrases: tuple[tuple[int, int, _Phrase], ...]
    """(rank, the word's place in the phrase, the phrase) of phrases this word anchors."""


class CueMatcher:
    """Matches many cues against a token list in one pass.

    The tokens are joined by spaces and one Aho-Corasick automaton (pyahocorasick, in C) finds
    every cue in that one string: " word " for `word$`, " stem" for a stem (it begins a token),
    and for a phrase its longest word, after which Python checks the phrase's other words.
    Phrases win over the single words inside them; at one place, the longest phrase."""

    def __init__(self, cues: Mapping[str, float]) -> None:
        exact: dict[str, _Single] = {}
        stems: dict[str, _Single] = {}
        phrases: list[tuple[tuple[int, int, int, int], tuple[str, int], _Phrase]] = []
        groups: dict[tuple[str, ...], int] = {}
        for cue, value in cues.items():
            key = normalise(cue).strip()
            words = key.split()
            if not words:
                continue
            if len(words) > 1:
                parts = tuple((w.rstrip("$"), w.endswith("$")) for w in words)
                # A phrase is looked for where the first 3 letters of its first word begin a
                # token (and of its second, unless that is a stem shorter than 3 letters): a
                # first word shorter than 3 letters has to be the whole token.
                first, first_exact = parts[0]
                parts = ((first, first_exact or len(first) < 3), *parts[1:])
                second, second_exact = parts[1]
                paired = second_exact or len(second) >= 3
                group = (first[:3], second[:3]) if paired else (first[:3],)
                order = groups.setdefault(group, 0)
                groups[group] = order + 1
                # The order of the candidates at one place: longest, paired before not,
                # then as written.
                rank = (-len(parts), 0 if paired else 1, order, len(phrases))
                phrases.append((rank, _anchor(parts), (parts, cue, value)))
            elif key.endswith("$"):
                exact[key[:-1]] = (cue, value)
            elif len(key) <= _MAX_STEM:
                stems[key] = (cue, value)
        entries: dict[str, dict[str, Any]] = {}
        for word, found in exact.items():
            entries.setdefault(f" {word} ", {})["exact"] = found
        for word, found in stems.items():
            entries.setdefault(f" {word}", {})["stem"] = found
        ranks = {rank: i for i, (rank, _, _) in enumerate(sorted(phrases))}
        for rank, (key, place), phrase in phrases:
            entry = entries.setdefault(key, {})
            entry["phrases"] = (*entry.get("phrases", ()), (ranks[rank], place, phrase))
        self._automaton: Any = None
        if entries:
            self._automaton = ahocorasick.Automaton()
            for key, entry in entries.items():
                self._automaton.add_word(
                    key,
                    _Pattern(
                        len(key),
                        entry.get("exact"),
                        entry.get("stem"),
                        len(key) - 1,
                        tuple(sorted(entry.get("phrases", ()))),
                    ),
                )
            self._automaton.make_automaton()

    def find(self, tokens: list[str]) -> list[Hit]:
        if self._automaton is None or not tokens:
            return []
        singles: dict[int, tuple[int, _Single]] = {}
        """Token index -> (its cue's rank: exact first, then the longest stem), the cue."""
        starts: dict[int, tuple[int, _Phrase]] = {}
        """Token index -> the best phrase that starts there (the lowest rank)."""
        joined = " " + " ".join(tokens) + " "
        for end, pattern in self._automaton.iter(joined):
            # Every key starts with the space before a token: the spaces before it count it.
            i = joined.count(" ", 0, end - pattern.width + 1)
            if pattern.exact is not None:
                singles[i] = (-_MAX_STEM - 1, pattern.exact)
            if pattern.stem is not None:
                best = singles.get(i)
                if best is None or -pattern.stem_length < best[0]:
                    singles[i] = (-pattern.stem_length, pattern.stem)
            for rank, place, phrase in pattern.phrases:
                at = i - place
                found = starts.get(at)
                if (found is None or rank < found[0]) and _matches(tokens, at, phrase[0]):
                    starts[at] = (rank, phrase)
        hits: list[Hit] = []
        taken = 0  # tokens before this index belong to a phrase already matched
        for i in sorted({*singles, *starts}):
            if i < taken:
                continue
            if i in starts:
                words, cue, value = starts[i][1]
                taken = i + len(words)
                hits.append(Hit(cue, value, i, taken))
            else:
                cue, value = singles[i][1]
                hits.append(Hit(cue, value, i, i + 1))
        return hits


def _anchor(words: tuple[tuple[str, bool], ...]) -> tuple[str, int]:
    """The key a phrase is found by, and the index of the word it starts at: the longest run
    of its words that stands in the joined tokens as it is written (words joined by a space,
    each but the last exact)."""
    best = ("", 0)
    for start in range(len(words)):
        key = ""
        for word, exact in words[start:]:
            key += f" {word}"
            if not exact:
                break
        else:
            key += " "
        best = max(best, (key, start), key=lambda k: len(k[0]))
    return best


def _matches(tokens: list[str], i: int, words: tuple[tuple[str, bool], ...]) -> bool:
    """Whether the phrase's words match the tokens from index i on, each by its own rule."""
    if i < 0 or i + len(words) > len(tokens):
        return False
    for k, (word, exact) in enumerate(words):
        other = tokens[i + k]
        if (other != word) if exact else not other.startswith(word):
            return False
    return True


def merge(maps: Iterable[Mapping[str, float]]) -> dict[str, float]:
    merged: dict[str, float] = {}
    for mapping in maps:
        merged.update(mapping)
    return merged


# ---- repcli/analysis/lang.py (c03b107) ----

_UK_ONLY = "іїєґ"
_RU_ONLY = "ыэъё"
# Words that tell the languages apart when no letter does (only words unique to one of them).
_UK_WORDS = frozenset(
    "й це що як але дуже був була було від якщо або мені мене вже ще тільки можна треба "
    "дякую гроші".split()
)
_RU_WORDS = frozenset(
    "и это что как но очень есть был была было от если или мне меня уже еще только можно "
    "надо спасибо деньги".split()
)


_WORD = re.compile(r"\w+")
# Letters are counted in C: the text in cp1251 (one byte per Russian, Ukrainian or English
# letter; what it lacks is no letter counted here and is left out), then bytes.translate keeps
# one script's letters.
_CYRILLIC = "абвгдежзийклмнопрстуфхцчшщъыьэюяёіїєґ"
_KEEP_CYRILLIC = bytes(set(range(256)) - set(_CYRILLIC.encode("cp1251")))
_KEEP_LATIN = bytes(set(range(256)) - set(b"abcdefghijklmnopqrstuvwxyz"))


def detect_language(text: str) -> str | None:
    """'ru', 'uk', 'en', or None when there are no letters to go by."""
    low = text.lower()
    data = low.encode("cp1251", "ignore")
    cyrillic = len(data.translate(None, _KEEP_CYRILLIC))
    latin = len(data.translate(None, _KEEP_LATIN))
    if cyrillic == 0 and latin == 0:
        return None
    if latin > cyrillic:
        return "en"
    uk = sum(map(low.count, _UK_ONLY))
    ru = sum(map(low.count, _RU_ONLY))
    if uk == ru:
        words = _WORD.findall(low)
        uk += sum(w in _UK_WORDS for w in words)
        ru += sum(w in _RU_WORDS for w in words)
    return "uk" if uk > ru else "ru"


# ---- repcli/analysis/negativity.py (c03b107) ----

NEGATION_WINDOW = 3
INTENSIFIER_WINDOW = 2
NEGATION_FACTOR = 0.7
LANGS = ("ru", "uk", "en")
# Russian and Ukrainian share many stems and shops mix both: Cyrillic text is read with both.
_READ_WITH = {"ru": ("ru", "uk"), "uk": ("uk", "ru"), "en": ("en",)}


@dataclasses.dataclass(frozen=True, slots=True)
class TextScore:
    score: float
    """Negativity in [0, 1]; 0 when nothing negative was found."""
    negative_cues: tuple[str, ...] = ()
    positive_cues: tuple[str, ...] = ()

    @property
    def polarity(self) -> str:
        if self.score >= 0.5:
            return "negative"
        if self.positive_cues and self.score < 0.35:
            return "positive"
        return "neutral"


class TextModel(Protocol):
    name: str

    def score(self, text: str, lang: str | None, tokens: list[str] | None = None) -> TextScore:
        """`tokens`: the text's `tokenize`, when the caller has it already (one tokenising
        serves the model and the topics)."""
        ...


@dataclasses.dataclass(frozen=True)
class _Reader:
    """Everything needed to read text in one language group."""

    matcher: CueMatcher
    negators: frozenset[str]
    intensifiers: dict[str, float]


class LexiconModel:
    """Weighted RU/UK/EN complaint and praise cues, with negation and intensifiers.

    Negative and positive cues share one matcher (signed weights), so the longest cue at a
    position wins: "без повреждений" is praise although "повреждений" alone is a complaint.
    """

    name = "lexicon"

    def __init__(self, lexicon: dict[str, Any] | None = None) -> None:
        data = lexicon if lexicon is not None else load_yaml("lexicon.yaml")
        self._readers: dict[str | None, _Reader] = {}
        for key, langs in (*_READ_WITH.items(), (None, LANGS)):
            cues: dict[str, float] = {}
            negators: set[str] = set()
            intensifiers: dict[str, float] = {}
            for lang in reversed(langs):  # the first language wins on a shared cue
                cues.update({k: float(v) for k, v in (data["negative"].get(lang) or {}).items()})
                cues.update({k: -float(v) for k, v in (data["positive"].get(lang) or {}).items()})
                negators.update(w.lower() for w in data.get("negators", {}).get(lang) or ())
                intensifiers.update(
                    {
                        k.lower(): float(v)
                        for k, v in (data.get("intensifiers", {}).get(lang) or {}).items()
                    }
                )
            self._readers[key] = _Reader(CueMatcher(cues), frozenset(negators), intensifiers)
        emoji = data.get("emoji") or {}
        self._emoji = {
            **{k: float(v) for k, v in (emoji.get("negative") or {}).items()},
            **{k: -float(v) for k, v in (emoji.get("positive") or {}).items()},
        }
        # One C scan for a character as high as the lowest emoji (most texts have none).
        low = min((e[0] for e in self._emoji), default="\U0010ffff")
        self._maybe_emoji = re.compile(f"[{re.escape(low)}-\U0010ffff]")

    def score(self, text: str, lang: str | None, tokens: list[str] | None = None) -> TextScore:
        """`tokens`: the text's `tokenize`, when the caller has it already."""
        reader = self._readers.get(lang, self._readers[None])
        tokens = tokenize(text) if tokens is None else tokens
        hits = reader.matcher.find(tokens)
        in_phrase = {i for h in hits if h.end - h.start > 1 for i in range(h.start, h.end)}
        neg_total = pos_total = 0.0
        neg_cues: list[str] = []
        pos_cues: list[str] = []
        for hit in hits:
            weight = abs(hit.value) * self._intensity(tokens, hit, reader)
            negative = hit.value > 0
            label = hit.cue.replace("$", "")
            negator = self._negator(tokens, hit, reader, in_phrase)
            if negator:
                negative, weight, label = (
                    not negative,
                    weight * NEGATION_FACTOR,
                    f"{negator} {label}",
                )
            if negative:
                neg_total += weight
                neg_cues.append(label)
            else:
                pos_total += weight
                pos_cues.append(label)
        for ch, value in self._emoji.items() if self._maybe_emoji.search(text) else ():
            if ch in text:
                if value > 0:
                    neg_total += value
                    neg_cues.append(ch)
                else:
                    pos_total -= value
                    pos_cues.append(ch)
        if neg_total == 0:
            return TextScore(0.0, (), tuple(pos_cues))
        score = neg_total / (neg_total + pos_total + 0.5)
        return TextScore(round(score, 4), tuple(neg_cues), tuple(pos_cues))

    @staticmethod
    def _negator(tokens: list[str], hit: Hit, reader: _Reader, in_phrase: set[int]) -> str | None:
        """The negator that flips this hit, if any: within the window, same clause, and not
        already part of a phrase."""
        if hit.end - hit.start > 1 and tokens[hit.start] in reader.negators:
            return None  # the phrase already includes its negation ("не работает")
        for i in range(hit.start - 1, max(-1, hit.start - NEGATION_WINDOW - 1), -1):
            if tokens[i] == BOUNDARY:
                return None
            if tokens[i] in reader.negators and i not in in_phrase:
                return tokens[i]
        return None

    @staticmethod
    def _intensity(tokens: list[str], hit: Hit, reader: _Reader) -> float:
        strongest = 1.0
        for token in tokens[max(0, hit.start - INTENSIFIER_WINDOW) : hit.start]:
            strongest = max(strongest, reader.intensifiers.get(token, 1.0))
        return strongest


# ---- repcli/analysis/topics.py (c03b107) ----

EXTORTION = "extortion"
APP_PLATFORMS = frozenset({"app_store", "google_play"})
"""Platforms whose reviews are of an app: topics with `scope: app` apply to them."""


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

    def tag(
        self, text: str, tokens: list[str] | None = None, app: bool | None = None
    ) -> tuple[str, ...]:
        """Topics in order of first mention, each once. `tokens`: the text's `tokenize`, when
        the caller has it already. `app`: whether the item is an app-store review; when False,
        `scope: app` topics count only if the text names an app (None: unknown, they count)."""
        found: list[str] = []
        names_app = False
        for hit in self._matcher.find(tokenize(text) if tokens is None else tokens):
            if hit.cue in self._app_words:
                names_app = True
                continue
            topic = self._topic_of[hit.cue]
            if topic not in found:
                found.append(topic)
        if app is False and not names_app:
            found = [t for t in found if t not in self._app_only]
        if any(t.startswith("app_") for t in found) and "damaged" in found:
            # "doesn't work" in an app review is a bug, not a damaged parcel.
            found.remove("damaged")
        return tuple(found)


# ---- repcli/analysis/questions.py (c03b107) ----

# A sentence: text up to and including its run of end marks (or the end of a line / the text).
_SENTENCE = re.compile(r"[^.!?…\n]+(?:[.!?…]+|\n|$)")
# Opening words of a question or a request for information, without a question mark.
_OPENERS = re.compile(
    r"^\W*(?:а\s+|и\s+|і\s+|and\s+|so\s+)?(?:"
    r"подскажите|скажите|уточните|подскаж|подкажите|напишите,?\s+пожалуйста|есть\s+ли|"
    r"будет\s+ли|можно\s+ли|"
    r"підкажіть|скажіть|уточніть|напишіть,?\s+будь\s+ласка|чи\s|"
    r"do\s+you|does\s+(?:it|this|the)|is\s+(?:it|there|this)|are\s+(?:there|they|these)|"
    r"can\s+(?:i|you|we)|could\s+you|will\s+(?:it|you|there)|how\s+(?:much|many|long|do)|"
    r"what(?:'s|\s+is|\s+are)|please\s+(?:tell|advise|let)"
    r")",
    re.IGNORECASE,
)
# Words that make a question hypothetical or yes/no: its complaint words are asked about.
_HYPOTHETICAL = frozenset(
    {"ли", "если", "бывает", "чи", "якщо", "буває", "if", "whether"}
)  # fmt: skip
_EN_YES_NO = frozenset(
    {"do", "does", "is", "are", "can", "could", "will", "would", "should", "has", "have"}
)
_IMPATIENT = ("?!", "!?")


def is_question(text: str, kind: str) -> bool:
    """A question (kind `question`), or text that asks: a sentence ending in `?`, or opening as
    a question or a request for information ("Подскажите…", "Do you…", "Напишите, пожалуйста…")."""
    if kind == "question":
        return True
    return "?" in text or bool(_OPENERS.match(normalise(text)))


def _asks_only(sentence: str) -> bool:
    """A question that asks about a problem rather than reports one: ends in a plain `?` and
    is hypothetical or yes/no ("Не линяет ли?", "А если брак?", "Does it leak?")."""
    end = sentence.rstrip()
    if not end.endswith("?") or any(mark in end for mark in _IMPATIENT) or "??" in end:
        return False
    tokens = [t for t in tokenize(end) if t != "|"]
    if not tokens:
        return False
    return bool(_HYPOTHETICAL.intersection(tokens)) or tokens[0] in _EN_YES_NO


@cache
def _question_lexicon() -> LexiconModel:
    """The built-in lexicon plus the cues that complain only in a question."""
    data: dict[str, Any] = dict(load_yaml("lexicon.yaml"))
    extra = data.get("question_complaints") or {}
    negative = {
        lang: {**(cues or {}), **(extra.get(lang) or {})}
        for lang, cues in {**dict.fromkeys(extra), **data["negative"]}.items()
    }
    emoji = dict(data.get("emoji") or {})
    emoji["negative"] = {**(emoji.get("negative") or {}), **dict.fromkeys(_IMPATIENT, 1)}
    return LexiconModel({**data, "negative": negative, "emoji": emoji})


def question_score(text: str, lang: str | None) -> TextScore:
    """A question's negativity: the lexicon (with the question cues) over the text, leaving out
    sentences that only ask about a problem."""
    kept = [s for s in _SENTENCE.findall(text) if s.strip() and not _asks_only(s)]
    if not kept:
        return TextScore(0.0)
    return _question_lexicon().score(" ".join(kept), lang)


# ---- repcli/analysis/verdict.py (c03b107) ----

MAX_CUES_SHOWN = 3


class Analyzer:
    """Rating decides when present (thresholds from config); text decides when not, and a
    strong complaint in the text flags a review despite a high rating.

    Which text model reads an item depends on what it is: an unrated question (kind `question`,
    or text that asks) is read by the question rules (`questions.py`); a trained model reads
    only the kinds it was validated on (its `kinds`; None: every kind), the built-in lexicon
    the rest. Under a rating, the trained model (which learnt from stars) may add a complaint
    the lexicon misses, never clear one the lexicon finds."""

    def __init__(
        self,
        thresholds: Thresholds | None = None,
        model: TextModel | None = None,
        tagger: TopicTagger | None = None,
    ) -> None:
        self.thresholds = thresholds or Thresholds()
        self.model = model or LexiconModel()
        self.tagger = tagger or TopicTagger()
        self.kinds: frozenset[str] | None = getattr(self.model, "kinds", None)
        lexicon = getattr(self.model, "lexicon", None)
        self.lexicon: TextModel = (
            self.model if isinstance(self.model, LexiconModel) else lexicon or LexiconModel()
        )

    def text_model(self, item: Item, scored: str) -> TextModel | None:
        """The model that reads this item's text; None: the question rules."""
        if item.rating is None and is_question(scored, item.kind):
            return None
        if self.kinds is None or item.kind in self.kinds:
            return self.model
        return self.lexicon

    def analyse(self, item: Item) -> Verdict:
        text = item.full_text()
        lang = item.lang or detect_language(text)
        # Pros are praise by construction: the score and the causes come from the other parts
        # ("Pros: fast delivery" under a complaint about a broken lid is no delivery problem).
        scored = "\n".join(p for p in (item.title, item.text, item.cons) if p)
        tokens = tokenize(scored)  # once, for the model and the topics
        model = self.text_model(item, scored)
        if model is None:
            text_score = question_score(scored, lang)
        elif item.rating is not None and hasattr(model, "read"):
            # A model trained on stars (BlendedModel.read: the blend and the lexicon alone)
            # learns that a 3-5★ text is no complaint: it may find more under a rating than
            # the lexicon does, never clear what the lexicon finds.
            blended, lexicon = model.read(scored, lang, tokens)
            text_score = lexicon if lexicon.score > blended.score else blended
        else:
            text_score = model.score(scored, lang, tokens)
        topics = self.tagger.tag(scored, tokens, app=item.platform in APP_PLATFORMS)
        # Never an empty reason ("text: "): a model that flags without a word to show says so.
        cues = ", ".join(text_score.negative_cues[:MAX_CUES_SHOWN]) or (
            f"{'questions' if model is None else model.name} score {text_score.score:.2f}"
        )
        reasons: list[str] = []
        t = self.thresholds
        if item.rating is not None:
            if item.rating <= t.negative_rating:
                negative, sentiment = True, "negative"
                score = max(text_score.score, 1.0 - (item.rating - 1) * 0.15)
                reasons.append(f"rating {item.rating}★")
            elif text_score.score >= t.text_flags_high_rating:
                negative, sentiment, score = True, "negative", text_score.score
                reasons.append(f"complaint under {item.rating}★: {cues}")
            elif item.rating <= t.neutral_rating:
                negative = text_score.score >= t.text_negative
                sentiment = "negative" if negative else "neutral"
                score = max(text_score.score, 0.5 if negative else 0.4)
                reasons.append(f"rating {item.rating}★" + (f" + cues: {cues}" if negative else ""))
            else:
                negative, sentiment = False, "positive"
                score = min(text_score.score, 0.3)
        else:
            score = text_score.score
            negative = score >= t.text_negative
            sentiment = "negative" if negative else text_score.polarity
            if negative:
                reasons.append(f"text: {cues}")
        if EXTORTION in topics:
            negative, sentiment, score = True, "negative", max(score, 0.9)
            reasons.append("extortion wording")
        elif not negative:
            topics = ()  # causes explain complaints; praise mentioning delivery is no cause
        return Verdict(
            sentiment=sentiment,  # type: ignore[arg-type]
            score=round(score, 4),
            negative=negative,
            reasons=tuple(reasons),
            topics=topics,
            lang=lang,
        )
