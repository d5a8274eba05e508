"""Combine the star rating and the text into one verdict, with the reasons a person can check."""

from __future__ import annotations

from typing import Any

from repcli.analysis import questions
from repcli.analysis.cues import tokenize
from repcli.analysis.lang import detect_language, tokens_and_language
from repcli.analysis.negativity import LexiconModel, TextModel, TextScore
from repcli.analysis.topics import APP_PLATFORMS, EXTORTION, TopicTagger
from repcli.config.model import Thresholds
from repcli.models import Item, Verdict

MAX_CUES_SHOWN = 3


class Analyzer:
    """Rating decides when present (thresholds from config); text decides when not, and a
    strong complaint in the text flags a review despite a high rating.

    Which text model reads an item depends on what it is: an unrated question (kind `question`,
    or text that asks) is read by the question rules (`questions.py`); a trained model reads
    only the kinds it was validated on (its `kinds`; None: every kind); an unrated comment
    that no trained model reads, the lexicon blended with the shipped word table
    (`word_weights.BuiltinModel`: social posts are short and chatty, where it finds what the
    lexicon misses; on long shop reviews it does worse, issue 19), or with `accurate` the
    sentence encoder beside that (`encoder.AccurateModel`, before any trained model); the
    built-in lexicon the rest. Under a rating, the trained model (which learnt from stars) may add a complaint
    the lexicon misses, never clear one the lexicon finds."""

    def __init__(
        self,
        thresholds: Thresholds | None = None,
        model: TextModel | None = None,
        tagger: TopicTagger | None = None,
        comments: str = "builtin",
    ) -> None:
        """`comments`: how unrated comments are read, `builtin` or `accurate`
        (`AnalysisSettings.comments`); `accurate` loads the encoder now (ConfigError when it
        is not installed)."""
        self.thresholds = thresholds or Thresholds()
        self.model = model or LexiconModel()
        self.tagger = tagger or TopicTagger()
        self.kinds: frozenset[str] | None = getattr(self.model, "kinds", None)
        self._read: Any = getattr(self.model, "read", None)
        lexicon = getattr(self.model, "lexicon", None)
        self.lexicon: TextModel = (
            self.model if isinstance(self.model, LexiconModel) else lexicon or LexiconModel()
        )
        self._trained = not isinstance(self.model, LexiconModel)
        self._comments: TextModel | None = None
        self._accurate = comments == "accurate"
        if self._accurate:
            from repcli.analysis.encoder import AccurateModel
            from repcli.analysis.word_weights import BuiltinModel

            self._comments = AccurateModel(BuiltinModel(self.lexicon), self.lexicon)

    @property
    def comments(self) -> TextModel:
        """The lexicon blended with the shipped word table, for unrated comments (its table
        is read on first use: ~0.2 s, and many runs see no comment)."""
        if self._comments is None:
            from repcli.analysis.word_weights import BuiltinModel

            self._comments = BuiltinModel(self.lexicon)
        return self._comments

    def text_model(self, item: Item, scored: str) -> TextModel | None:
        """The model that reads this item's text; None: the question rules."""
        if item.rating is None and questions.is_question(scored, item.kind):
            return None
        comment = item.rating is None and item.kind == "comment"
        if comment and self._accurate:
            return self.comments  # asked for by name: before a trained model
        if self._trained and (self.kinds is None or item.kind in self.kinds):
            return self.model
        if comment:
            return self.comments
        return self.lexicon

    def analyse(self, item: Item) -> Verdict:
        # Pros are praise by construction: the score and the causes come from the other parts
        # ("Pros: fast delivery" under a complaint about a broken lid is no delivery problem).
        title, cons = item.title, item.cons
        scored = (
            "\n".join(p for p in (title, item.text, cons) if p)
            if title or cons
            else item.text or ""
        )
        # Tokens once, for the model and the topics; the language from the full text.
        if item.lang is None and not item.pros:
            tokens, lang = tokens_and_language(scored)  # the full text is the scored text
        else:
            lang = item.lang or detect_language(item.full_text())
            tokens = tokenize(scored)
        model = self.text_model(item, scored)
        if model is None:
            text_score = questions.score(scored, lang, tokens)
        elif item.rating is not None and (
            read := self._read if model is self.model else getattr(model, "read", None)
        ):
            # A model trained on stars (BlendedModel.read: the blend and the lexicon alone)
            # learns that a 3-5★ text is no complaint: it may find more under a rating than
            # the lexicon does, never clear what the lexicon finds.
            blended, lexicon = read(scored, lang, tokens)
            text_score = lexicon if lexicon.score > blended.score else blended
        else:
            text_score = model.score(scored, lang, tokens)
        reasons: list[str] = []
        t = self.thresholds
        if item.rating is not None:
            if item.rating <= t.negative_rating:
                negative, sentiment = True, "negative"
                score = max(text_score.score, 1.0 - (item.rating - 1) * 0.15)
                reasons.append(f"rating {item.rating}★")
            elif text_score.score >= t.text_flags_high_rating:
                negative, sentiment, score = True, "negative", text_score.score
                reasons.append(f"complaint under {item.rating}★: {_cues(text_score, model)}")
            elif item.rating <= t.neutral_rating:
                negative = text_score.score >= t.text_negative
                sentiment = "negative" if negative else "neutral"
                score = max(text_score.score, 0.5 if negative else 0.4)
                reasons.append(
                    f"rating {item.rating}★"
                    + (f" + cues: {_cues(text_score, model)}" if negative else "")
                )
            else:
                negative, sentiment = False, "positive"
                score = min(text_score.score, 0.3)
        else:
            score = text_score.score
            negative = score >= t.text_negative
            sentiment = "negative" if negative else text_score.polarity
            if negative:
                reasons.append(f"text: {_cues(text_score, model)}")
        # Topics explain complaints; other items are tagged only when they may extort.
        topics = (
            self.tagger.tag(scored, tokens, app=item.platform in APP_PLATFORMS)
            if negative or self.tagger.may_extort(tokens)
            else ()
        )
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


def _cues(text_score: TextScore, model: TextModel | None) -> str:
    """The cues a reason shows. Never empty ("text: "): a model that flags without a word to
    show says so."""
    return ", ".join(text_score.negative_cues[:MAX_CUES_SHOWN]) or (
        f"{'questions' if model is None else model.name} score {text_score.score:.2f}"
    )
