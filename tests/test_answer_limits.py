"""Answer limits (repcli/workflow/limits.py) of the platforms added after the first ones."""

from __future__ import annotations

import pytest

from repcli.workflow import limits


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("x" * 4096, None),
        ("x" * 4097, "4097 bytes in UTF-8 (4097 characters); google_business takes at most 4096"),
        ("ж" * 2048, None),  # two bytes a letter: 4096 bytes
        ("ж" * 2049, "4098 bytes in UTF-8 (2049 characters)"),  # far under 4096 characters
        ("Дякуємо! 🙏" * 320, "bytes in UTF-8"),  # 3200 characters, 5760 bytes
    ],
    ids=["4096-ascii", "4097-ascii", "2048-cyrillic", "2049-cyrillic", "emoji"],
)
def test_google_business_counts_bytes_not_characters(text: str, problem: str | None) -> None:
    found = limits.problems("google_business", "review", text)
    if problem is None:
        assert found == []
    else:
        assert len(found) == 1 and problem in found[0], found


@pytest.mark.parametrize("platform", ["facebook", "instagram"])
def test_meta_documents_no_limit_so_nothing_is_checked(platform: str) -> None:
    assert limits.rules_for(platform, "comment") is None
    assert limits.problems(platform, "comment", "ж" * 10_000 + " https://shop.example") == []


def test_every_rule_names_where_the_platform_says_so() -> None:
    for (platform, _), rules in limits.RULES.items():
        assert rules.rule and (rules.max_chars or rules.max_bytes or not rules.links), platform
