"""People's names as platforms show them: placeholders are not names."""

from __future__ import annotations

# What platforms show instead of a customer's name: never greet or group by those.
PLACEHOLDERS = frozenset({
    "покупатель", "пользователь", "аноним", "анонимный", "покупець", "користувач", "анонім",
    "anonymous", "customer", "user", "buyer", "a", "google", "пользователь google",
    "a google user",
})  # fmt: skip


def is_placeholder(author: str | None) -> bool:
    if not author or not author.strip():
        return True
    name = author.strip().lower()
    return name in PLACEHOLDERS or name.split()[0] in PLACEHOLDERS


def first_name(author: str | None) -> str:
    """`Анна К.` -> `Анна`; `Покупатель` or an e-mail-like handle -> empty."""
    if is_placeholder(author):
        return ""
    assert author is not None
    word = author.strip().split()[0].strip(",.")
    if not word.isalpha() or not word[0].isupper() or len(word) < 2:
        return ""
    return word
