"""What each platform accepts as the shop's public answer, checked before a reply is approved.

The numbers and rules come from each platform's own documentation; docs/connectors.md
("Answer limits") cites them. A platform that is not listed has no documented limit here, so
nothing is checked for it.
"""

from __future__ import annotations

import dataclasses
import re

_LINK = re.compile(
    r"(?:https?://|www\.)\S+|\b[\w-]+\.(?:ru|com|ua|рф|net|org|shop|store|by|kz|su|io)\b",
    re.IGNORECASE,
)
_PHONE = re.compile(
    r"\+\d[\d\s()\-]{8,16}\d"  # +7 999 123-45-67, +380 (44) 123 45 67
    r"|(?<![\w-])8[\s(\-]*\d{3}[\s)\-]*\d{3}[\s\-]*\d{2}[\s\-]*\d{2}(?![\w-])"  # 8 (999) 123-45-67
)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.]+\b")


@dataclasses.dataclass(frozen=True, slots=True)
class AnswerRules:
    max_chars: int | None = None
    max_bytes: int | None = None
    """A limit the platform counts in bytes of UTF-8 (Cyrillic letters take two each)."""
    min_chars: int = 1
    links: bool = True
    """Links to other sites allowed."""
    contacts: bool = True
    """Phone numbers and e-mail addresses allowed."""
    rule: str = ""
    """Where the platform says so (docs/connectors.md cites it in full)."""


RULES: dict[tuple[str, str | None], AnswerRules] = {
    # A too-short answer is left for the platform to refuse, in its own words.
    ("wildberries", None): AnswerRules(
        max_chars=5000, rule="WB API: answer text 2-5000 characters"
    ),
    ("ozon", "question"): AnswerRules(
        max_chars=3000, rule="Ozon Seller API /v1/question/answer/create: 2-3000 characters"
    ),
    ("yandex_market", None): AnswerRules(
        max_chars=4096,
        links=False,
        contacts=False,
        rule="Market Partner API: comment.text 1-4096 characters, no shop contacts and no "
        "links to sites other than Market",
    ),
    ("google_play", None): AnswerRules(
        max_chars=350, rule="Play Developer API reviews.reply: about 350 characters at most"
    ),
    ("app_store", None): AnswerRules(
        max_chars=5970, rule="App Store Connect: a response holds up to 5970 characters"
    ),
    ("telegram", None): AnswerRules(
        max_chars=4096, rule="Bot API sendMessage: text 1-4096 characters"
    ),
    ("google_business", None): AnswerRules(
        max_bytes=4096,
        rule="Business Profile API ReviewReply.comment: the maximum length is 4096 bytes",
    ),
    # facebook, instagram: Meta's Graph API references for posting a comment or a reply
    # (/{object-id}/comments, /{ig-comment-id}/replies) document no length limit.
    ("ebay", None): AnswerRules(
        max_chars=500,
        contacts=False,
        rule="eBay Feedback API respondToFeedback: 500 characters, no personal information "
        "such as phone numbers",
    ),
}


def rules_for(platform: str | None, kind: str | None = None) -> AnswerRules | None:
    """The rules of `platform` for answers to a `kind` item (review, question, comment)."""
    if not platform:
        return None
    return RULES.get((platform, kind)) or RULES.get((platform, None))


def problems(platform: str | None, kind: str | None, text: str) -> list[str]:
    """Why the platform would refuse `text` as an answer (empty: nothing known against it)."""
    rules = rules_for(platform, kind)
    if rules is None:
        return []
    found: list[str] = []
    size = len(text)
    if rules.max_chars is not None and size > rules.max_chars:
        found.append(f"{size} characters; {platform} takes at most {rules.max_chars}")
    if rules.max_bytes is not None and (octets := len(text.encode("utf-8"))) > rules.max_bytes:
        found.append(
            f"{octets} bytes in UTF-8 ({size} characters); {platform} takes at most "
            f"{rules.max_bytes} bytes"
        )
    if size < rules.min_chars:
        found.append(f"{size} characters; {platform} wants at least {rules.min_chars}")
    if not rules.links and (link := _LINK.search(text)):
        found.append(f"a link ({link.group(0)}); {platform} forbids links in answers")
    if not rules.contacts:
        for pattern, what in ((_PHONE, "a phone number"), (_EMAIL, "an e-mail address")):
            if match := pattern.search(text):
                found.append(f"{what} ({match.group(0)}); {platform} forbids contacts in answers")
    return found
