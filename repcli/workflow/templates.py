"""Reply templates: loading and checking them, picking the best one for an item, filling it in.

A template is text with `{variable}` fields and optional `[[ ... ]]` parts, which are left out
when a variable inside them is empty; `{{` and `}}` are literal braces. Variables are filled in
one pass over the template's own text: a value (a product name like `Набор {3 шт}`) is inserted
as it is and never read as a template. Format specs (`{shop:>10}`, `{shop!r}`) are refused when
the template is loaded. Conditions (lang, kinds, platforms, ratings, topics,
sentiment) select where it applies: every condition a template sets must hold; a list (topics,
ratings, kinds, platforms) holds when the item has any of its values. The most specific template
that fits an item wins. `sentiment` is the item's `mood`: negative (a complaint under 4★ or
unrated), mixed (a complaint in a 4-5★ review) or positive.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from repcli.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from repcli.store.rows import ItemRow, OrderRow

VARIABLES = ("customer", "product", "order", "date", "shop", "signature", "rating", "source")
SENTIMENTS = ("negative", "mixed", "positive")
_CONDITIONS = ("lang", "kinds", "platforms", "ratings", "topics", "sentiment")
_KEYS = {"name", "text", *_CONDITIONS}
_OPTIONAL = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
"""In a template: a literal brace, a `{field}`, or a brace that pairs with nothing."""
_SLOT = re.compile("\ue000([0-9]+)\ue001")
"""Where a value goes, while the template's own spacing is tidied (private-use characters)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Template:
    name: str
    text: str
    origin: str
    """Where it was defined: `file:line`, or `built-in`."""
    lang: str | None = None
    kinds: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    ratings: tuple[int, ...] = ()
    topics: tuple[str, ...] = ()
    sentiment: str | None = None

    def fits(self, item: ItemRow) -> bool:
        if self.lang and (item.get("lang") or "") != self.lang:
            return False
        if self.kinds and item.get("kind") not in self.kinds:
            return False
        if self.platforms and item.get("platform") not in self.platforms:
            return False
        if self.ratings and item.get("rating") not in self.ratings:
            return False
        if self.topics and not set(self.topics) & set(item.get("topics") or ()):
            return False
        return self.sentiment is None or self.sentiment == mood(item)

    def specificity(self) -> int:
        """Topics say the most about a complaint; every other condition counts once."""
        score = 4 if self.topics else 0
        return score + sum(
            1 for c in ("lang", "kinds", "platforms", "ratings", "sentiment") if getattr(self, c)
        )


def mood(item: ItemRow) -> str:
    """What a reply answers: `negative` (a complaint, unrated or under 4★), `mixed` (a complaint
    in a 4-5★ review: thanks and an apology, never a complaint template) or `positive`."""
    if not item.get("negative"):
        return "positive"
    rating = item.get("rating")
    return "mixed" if isinstance(rating, int) and rating >= 4 else "negative"


def _fields(text: str) -> list[str]:
    return [m.group(1) for m in _TOKEN.finditer(text) if m.group(1) is not None]


def render(text: str, values: Mapping[str, str]) -> str:
    """Fill in `text` (a checked template); drop `[[...]]` parts with an empty variable; tidy
    the template's spaces. Values go in verbatim: they are never parsed, formatted or tidied."""
    text = text.replace("\ue000", "").replace("\ue001", "")

    def optional(match: re.Match[str]) -> str:
        inner = match.group(1)
        return "" if any(not values.get(f) for f in _fields(inner)) else inner

    slots: list[str] = []

    def field(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:  # {{, }} or a stray brace (check_text refuses those)
            return match.group(0)[0]
        value = values.get(name, "")
        if not value:
            return ""
        slots.append(value)
        return f"\ue000{len(slots) - 1}\ue001"

    shape = _TOKEN.sub(field, _OPTIONAL.sub(optional, text))
    shape = re.sub(r"[ \t]+", " ", shape)
    shape = re.sub(r" +([,.!?;:])", r"\1", shape).strip()
    return _SLOT.sub(lambda m: slots[int(m.group(1))], shape)


def check_text(text: str, where: str) -> None:
    """Raise a ConfigError naming `where` when the text uses an unknown variable, a format spec
    or a brace that pairs with nothing."""
    variables = f"variables: {', '.join('{' + v + '}' for v in VARIABLES)}"
    for match in _TOKEN.finditer(_OPTIONAL.sub(lambda m: m.group(1), text)):
        name = match.group(1)
        if match.group(0) in ("{{", "}}"):
            continue
        if name is None:
            raise ConfigError(
                f"{where}: single {match.group(0)!r} (a brace that pairs with nothing)",
                "write a literal brace as {{ or }}; variables look like {customer}",
            )
        base = re.split(r"[:!]", name, maxsplit=1)[0]
        if base != name and base in VARIABLES:
            raise ConfigError(
                f"{where}: {{{name}}}: format specs are not supported",
                f"write {{{base}}}; the value is inserted as it is",
            )
        if name not in VARIABLES:
            raise ConfigError(f"{where}: unknown variable {{{name}}}", variables)


def _tuple(value: Any, where: str, kind: type) -> tuple[Any, ...]:
    values = value if isinstance(value, list) else [value]
    if not all(isinstance(v, kind) and not isinstance(v, bool) for v in values):
        raise ConfigError(f"{where}: expected a {kind.__name__} or a list of them, got {value!r}")
    return tuple(values)


def parse_templates(text: str, origin: str) -> list[Template]:
    """Templates from YAML text; errors name `origin`, the line and the key."""
    from repcli.config.yaml_safe import parse_yaml

    composed: list[Any] = []  # within the config's limits: size, depth, alias expansion
    data = parse_yaml(text, origin, inspect=composed.append)
    root = composed[0] if composed else None
    if root is None or not isinstance(data, dict) or not isinstance(data.get("templates"), list):
        raise ConfigError(
            f"{origin}: expected `templates:` with a list of templates",
            "see README, 'Replies and templates'",
        )
    lines = [
        node.start_mark.line + 1
        for key, value in root.value
        if key.value == "templates"
        for node in value.value
    ]
    out: list[Template] = []
    seen: set[str] = set()
    for i, raw in enumerate(data["templates"]):
        where = f"{origin}:{lines[i] if i < len(lines) else '?'}"
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: expected a template with `name:` and `text:`")
        unknown = set(raw) - _KEYS
        if unknown:
            raise ConfigError(
                f"{where}: unknown key {sorted(unknown)[0]!r}",
                f"template keys: {', '.join(sorted(_KEYS))}",
            )
        name, body = raw.get("name"), raw.get("text")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{where}: a template needs a `name:`")
        if name in seen:
            raise ConfigError(f"{where}: template name {name!r} is used twice")
        seen.add(name)
        if not isinstance(body, str) or not body.strip():
            raise ConfigError(f"{where}: template {name!r} needs a `text:`")
        check_text(body, f"{where}: template {name!r}")
        sentiment = raw.get("sentiment")
        if sentiment not in (None, *SENTIMENTS):
            raise ConfigError(
                f"{where}: sentiment must be negative, mixed or positive",
                "mixed is a complaint in a 4-5★ review; negative one under 4★ or unrated",
            )
        out.append(
            Template(
                name=name,
                text=body,
                origin=where,
                lang=raw.get("lang"),
                kinds=_tuple(raw.get("kinds", []), f"{where}: kinds", str),
                platforms=_tuple(raw.get("platforms", []), f"{where}: platforms", str),
                ratings=_tuple(raw.get("ratings", []), f"{where}: ratings", int),
                topics=_tuple(raw.get("topics", []), f"{where}: topics", str),
                sentiment=sentiment,
            )
        )
    return out


def load_templates(user_file: str | None, builtin: bool = True) -> list[Template]:
    """The user's templates (first: they win ties), then the built-in ones."""
    templates: list[Template] = []
    if user_file:
        path = Path(user_file)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"{path}: cannot read the reply templates: {exc}",
                "fix `workflow.templates:` in the config",
            ) from None
        templates += parse_templates(text, str(path))
    if builtin:
        text = resources.files("repcli.workflow").joinpath("data/templates.yaml").read_text("utf-8")
        names = {t.name for t in templates}
        templates += [t for t in parse_templates(text, "built-in") if t.name not in names]
    return templates


def choose(templates: Sequence[Template], item: ItemRow) -> Template | None:
    """The most specific template that fits; the first defined wins a tie."""
    best: Template | None = None
    for template in templates:
        if template.fits(item) and (best is None or template.specificity() > best.specificity()):
            best = template
    return best


def by_name(templates: Sequence[Template], name: str) -> Template:
    for template in templates:
        if template.name == name:
            return template
    import difflib

    close = difflib.get_close_matches(name, [t.name for t in templates], n=1)
    raise UsageError(
        f"no reply template named {name!r}",
        (f"did you mean {close[0]!r}? " if close else "") + "`repcli templates` lists them",
    )


_SIGN_OFF = {"ru": "С уважением, {shop}", "uk": "З повагою, {shop}", "en": "Best regards, {shop}"}


def variables(
    item: ItemRow,
    shop: str | None,
    signature: str | None,
    order: OrderRow | None = None,
) -> dict[str, str]:
    """The values a template can use for this item (a linked order fills the gaps)."""
    from repcli.analysis.names import first_name
    from repcli.clock import from_iso

    lang = item.get("lang") or "ru"
    created = from_iso(item.get("created_at"))
    if created is None:
        date = ""
    elif lang == "en":
        date = created.strftime("%b %d, %Y").replace(" 0", " ")
    else:
        date = created.strftime("%d.%m.%Y")
    if signature is None:
        signature = _SIGN_OFF.get(lang, _SIGN_OFF["en"]).format(shop=shop) if shop else ""
    return {
        "customer": first_name(item.get("author") or (order["customer"] if order else None)),
        "product": item.get("product_name") or (order["product_name"] if order else None) or "",
        "order": item.get("order_id") or (order["order_id"] if order else None) or "",
        "date": date,
        "shop": shop or "",
        "signature": signature,
        "rating": str(item["rating"]) if item.get("rating") else "",
        "source": item.get("source") or "",
    }
