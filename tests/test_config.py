from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from repcli import secrets
from repcli.config import find_config
from repcli.errors import ConfigError, ExitCode
from repcli.sources.registry import load_config, parse_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "repcli.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    assert info.value.exit_code is ExitCode.CONFIG
    return str(info.value)


GOOD = """\
store: data/x.db
shop: Test shop
sources:
  - name: wb
    type: demo
    dataset: ozon
    sla_hours: 12
    tags: [main, marketplace]
"""


def test_valid_config_is_frozen_and_resolved(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert config.store == tmp_path / "data" / "x.db"
    assert config.shop == "Test shop"
    (src,) = config.sources
    assert (src.name, src.type, src.sla_hours, src.tags) == (
        "wb",
        "demo",
        12.0,
        ("main", "marketplace"),
    )
    assert src.settings.dataset == "ozon"
    with pytest.raises(AttributeError):
        src.name = "other"  # type: ignore[misc]


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    message = error_of(tmp_path, "sources:\n  - name: a\n    type: [demo\n")
    assert message.startswith(f"{tmp_path / 'repcli.yaml'}:")
    assert "invalid YAML" in message


def test_unknown_top_key_suggests(tmp_path: Path) -> None:
    message = error_of(tmp_path, "shop: x\nsoures: []\n")
    assert "repcli.yaml:2: soures: unknown key" in message
    assert "did you mean 'sources'?" in message


def test_unknown_source_key_suggests(tmp_path: Path) -> None:
    message = error_of(tmp_path, "sources:\n  - name: a\n    type: demo\n    sla_hour: 3\n")
    assert "repcli.yaml:4: sources[0].sla_hour: unknown key" in message
    assert "did you mean 'sla_hours'?" in message


def test_wrong_type_names_key_and_expectation(tmp_path: Path) -> None:
    message = error_of(tmp_path, "sources:\n  - name: a\n    type: demo\n    sla_hours: soon\n")
    assert "repcli.yaml:4: sources[0].sla_hours: expected a number, got 'soon'" in message


def test_bad_literal_lists_choices(tmp_path: Path) -> None:
    message = error_of(tmp_path, "sources:\n  - name: a\n    type: demo\n    dataset: amazon\n")
    assert "sources[0].dataset: expected one of 'wildberries'" in message


def test_unknown_source_type_lists_known(tmp_path: Path) -> None:
    message = error_of(tmp_path, "sources:\n  - name: a\n    type: dmeo\n")
    assert "repcli.yaml:3: sources[0].type: unknown source type 'dmeo'" in message
    assert "did you mean 'demo'?" in message
    assert "known types: " in message and "demo, " in message and "wildberries" in message


def test_missing_env_var_names_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REPCLI_TEST_TOKEN", raising=False)
    message = error_of(tmp_path, "shop: ${REPCLI_TEST_TOKEN}\n")
    assert "repcli.yaml:1: shop: environment variable REPCLI_TEST_TOKEN is not set" in message
    assert "export REPCLI_TEST_TOKEN=" in message


def test_env_interpolation_registers_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPCLI_TEST_SECRET", "s3cr3t-value-123")
    config = load_config(write(tmp_path, "shop: ${REPCLI_TEST_SECRET}\nstore: ${NOPE:-a.db}\n"))
    assert config.shop == "s3cr3t-value-123"
    assert config.store.name == "a.db"
    assert secrets.redact("token=s3cr3t-value-123!") == "token=***!"


def test_dollar_escape(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "shop: price $$5\n")).shop == "price $5"


def test_duplicate_key_and_source_name(tmp_path: Path) -> None:
    assert "duplicate key" in error_of(tmp_path, "shop: a\nshop: b\n")
    message = error_of(tmp_path, "sources:\n  - {name: a, type: demo}\n  - {name: a, type: demo}\n")
    assert "sources[1].name: source name 'a' is used twice" in message


def test_missing_name_and_bad_shapes(tmp_path: Path) -> None:
    assert "sources[0]: missing required key 'name'" in error_of(
        tmp_path, "sources:\n  - type: demo\n"
    )
    assert "expected a list of sources" in error_of(tmp_path, "sources: {a: 1}\n")
    assert "mapping" in error_of(tmp_path, "- just\n- a list\n")
    assert "thresholds" in error_of(
        tmp_path, "thresholds: {negative_rating: 4, neutral_rating: 3}\n"
    )
    assert "sla_hours: must be a positive" in error_of(
        tmp_path, "sources:\n  - {name: a, type: demo, sla_hours: 0}\n"
    )


def test_empty_file_is_valid(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "")).sources == ()


def test_discovery_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> None:
    with pytest.raises(ConfigError, match="no config file found"):
        find_config(None)
    user = isolated_home / ".config" / "repcli" / "config.yaml"
    user.parent.mkdir(parents=True)
    user.write_text("shop: user\n")
    assert find_config(None) == user
    local = write(tmp_path, "shop: local\n")
    assert find_config(None).resolve() == local.resolve()
    env = tmp_path / "env.yaml"
    env.write_text("shop: env\n")
    monkeypatch.setenv("REPCLI_CONFIG", str(env))
    assert find_config(None) == env
    assert find_config(str(user)) == user
    with pytest.raises(ConfigError, match="config file not found"):
        find_config(str(tmp_path / "missing.yaml"))


def test_parse_without_path() -> None:
    assert parse_config("shop: x\n").shop == "x"


def test_example_config_shows_every_source_type_and_each_example_is_valid(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """config.example.yaml runs offline as it is; its commented examples, uncommented, are a
    valid config covering every source type repcli knows."""
    import re

    from repcli.sources.registry import BUILTIN
    from tests.conftest import ROOT

    text = (ROOT / "config.example.yaml").read_text(encoding="utf-8")
    assert {s.type for s in load_config(ROOT / "config.example.yaml").sources} == {"demo"}
    for var in set(re.findall(r"\$\{([A-Z_]+)\}", text)):
        monkeypatch.setenv(var, "example-secret-value")
    lines = []
    for line in text.splitlines():
        match = re.match(r"^  # (- name:.*|  [a-z_]+:.*|    - .*)$", line)
        lines.append("  " + match.group(1) if match else line)
    config = parse_config("\n".join(lines) + "\n")
    assert {s.type for s in config.sources} == set(BUILTIN)


def test_every_section_is_accepted(tmp_path: Path) -> None:
    """Each top-level section documented in the README parses (a section added to Config but
    not to the loader would be refused as an unknown key)."""
    from repcli.sources.registry import parse_config

    (tmp_path / "t.yaml").write_text("topics: {}\n", encoding="utf-8")
    config = parse_config(
        "store: x.db\nshop: S\nlocale: ru\ntopics: t.yaml\nsla: {comment: 3}\n"
        "workflow: {user: anna}\nsignals: {duplicate_min: 4}\norders: {link_days: 30}\n"
        "alerts: {destinations: {team: 'json://localhost/x'}, rules: [{rule: extortion, to: [team]}]}\n"
        "thresholds: {negative_rating: 2}\noutput: {limit: 10}\nsources: []\n",
        tmp_path / "repcli.yaml",
    )
    assert (config.locale, config.orders.link_days, config.signals.duplicate_min) == ("ru", 30, 4)
    assert config.topics == tmp_path / "t.yaml" and config.workflow.user == "anna"


# --------------------------------------------------------------------------- fuzz
def _config_strategies() -> tuple[dict[str, Any], Any]:
    """Configs built from the loader's own keys, with any values: the top-level sections, and
    sources with every setting of every source type; and any text at all."""
    import dataclasses

    from hypothesis import strategies as st

    from repcli.config import loader as cfg
    from repcli.sources.registry import BUILTIN, source_class

    settings_of = {
        type_name: sorted(
            set(cfg._SOURCE_COMMON)
            | {f.name for f in dataclasses.fields(source_class(type_name).settings_class)}
        )
        for type_name in BUILTIN
    }
    setting_names = {name for names in settings_of.values() for name in names}
    required_of = {
        type_name: [
            f.name
            for f in dataclasses.fields(source_class(type_name).settings_class)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        ]
        for type_name in BUILTIN
    }
    section_names = {"negative_rating", "neutral_rating", "text_negative", "format", "limit",
                     "review", "question", "comment", "rules", "destinations", "rule", "to",
                     "link_days", "duplicate_min", "burst_hours", "en", "ru", "uk", "path"}  # fmt: skip
    names = st.sampled_from(sorted(setting_names | section_names)) | st.text(max_size=8)
    scalars = (
        st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(allow_nan=False)
        | st.sampled_from(sorted(BUILTIN)) | st.sampled_from(["${NO_SUCH_VAR}", "$", "a.yaml", ""])
        | st.text(max_size=12)
    )  # fmt: skip
    values = st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=4),
        max_leaves=12,
    )
    flat = scalars | st.lists(scalars, max_size=3) | st.dictionaries(names, scalars, max_size=3)

    def source_of(type_name: str) -> Any:
        """A source of this type: a valid name, its required settings (plausible, mostly),
        and a few of its other settings."""
        plausible = st.sampled_from(["x", "1", "shop.example", 1]) | scalars
        return st.fixed_dictionaries(
            {
                "name": st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True),
                "type": st.just(type_name),
                **{name: plausible for name in required_of[type_name]},
            }
        ).flatmap(
            lambda head: st.dictionaries(
                st.sampled_from([n for n in settings_of[type_name] if n not in head]),
                flat,
                max_size=4,
            ).map(lambda rest: {**head, **rest})
        )

    source = st.sampled_from(sorted(BUILTIN)).flatmap(source_of)
    sections = st.fixed_dictionaries(
        {}, optional={key: values for key in sorted(cfg._TOP_KEYS - {"sources"})}
    )
    sources = st.fixed_dictionaries({"sources": st.lists(source, min_size=1, max_size=3)})
    return {"sections": sections, "sources": sources}, st.text(max_size=300)


_STRUCTURED, _ANY_TEXT = _config_strategies()


@pytest.mark.parametrize("shape", ["sections", "sources", "any text"])
def test_any_config_loads_or_is_a_config_error(shape: str, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    import yaml
    from hypothesis import HealthCheck, given, settings

    from repcli.errors import RepcliError
    from repcli.sources.base import FetchContext
    from repcli.sources.registry import source_class

    now = datetime(2026, 11, 23, 9, tzinfo=UTC)

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(_STRUCTURED[shape].map(yaml.safe_dump) if shape in _STRUCTURED else _ANY_TEXT)
    def check(text: str) -> None:
        try:
            config = parse_config(text, tmp_path / "repcli.yaml")
            for src in config.sources:  # a source checks its settings further as it is made
                source_class(src.type)(src, FetchContext(now))
        except RepcliError as exc:
            assert exc.message and exc.exit_code == ExitCode.CONFIG

    check()


# --------------------------------------------------------------------------- store: a URL


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_store_postgresql_url_stays_a_url(tmp_path: Path, scheme: str) -> None:
    """`store: postgresql://...` was read as a relative path: a SQLite file named
    `postgresql:/user@host/db` beside the config, and the run went on."""
    config = load_config(write(tmp_path, f"store: {scheme}://anna@db.example/repcli\n"))
    assert config.store == f"{scheme}://anna@db.example/repcli"
    assert not (tmp_path / f"{scheme}:").exists()


def test_store_url_expands_variables_and_its_password_is_a_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPCLI_TEST_PGPASS", "pg-pass-9f3a")
    monkeypatch.setenv("REPCLI_TEST_PGHOST", "db.example:5433")
    config = load_config(
        write(tmp_path, "store: postgresql://anna:${REPCLI_TEST_PGPASS}@${REPCLI_TEST_PGHOST}/rc\n")
    )
    assert config.store == "postgresql://anna:pg-pass-9f3a@db.example:5433/rc"
    assert "pg-pass-9f3a" not in secrets.redact(f"cannot connect to {config.store}")
    assert "pg-pass-9f3a" not in secrets.redact("password pg-pass-9f3a was refused")


def test_store_url_password_in_the_query_is_a_secret(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, "store: postgresql://db.example/rc?user=anna&password=q-pass-77x1\n")
    )
    assert isinstance(config.store, str)
    assert "q-pass-77x1" not in secrets.redact(f"store {config.store}: refused")


@pytest.mark.parametrize(
    "value", ["mysql://anna@db.example/rc", "sqlite:///tmp/x.db", "HTTPS://example.com/x"]
)
def test_store_other_url_schemes_are_refused_naming_file_and_line(
    tmp_path: Path, value: str
) -> None:
    message = error_of(tmp_path, f"shop: S\nstore: {value}\n")
    assert message.startswith(f"{tmp_path / 'repcli.yaml'}:2: store: ")
    assert value.split(":", 1)[0] in message
    assert "postgresql://" in message  # what is accepted
    assert not list(tmp_path.glob("*:*"))


def test_store_url_without_a_database_host_or_path_is_refused(tmp_path: Path) -> None:
    assert "store: " in error_of(tmp_path, "store: 'postgresql://'\n")


def test_store_file_for_a_url_store_is_beside_the_config(tmp_path: Path) -> None:
    """What is kept beside the store (the trained model) has a file even when the store is a
    database server: it is named after the database, in the config's folder."""
    config = load_config(write(tmp_path, "store: postgresql://anna:pw-xx-1@db.example/rc\n"))
    assert config.store_file == tmp_path / "rc.postgresql"
    local = load_config(write(tmp_path, "store: x.db\n"))
    assert local.store_file == local.store == tmp_path / "x.db"


def test_cli_with_an_unreachable_postgresql_store_fails_without_a_local_file(
    tmp_path: Path,
) -> None:
    """The old loader made `store: postgresql://...` a SQLite file beside the config and
    `status` exited 0. Now the server is asked (nothing listens on port 1 of the loopback):
    a store error, the password masked, no file."""
    from tests.conftest import Cli

    config = write(tmp_path, "store: postgresql://anna:pw-never-shown@127.0.0.1:1/rc\n")
    result = Cli(config)("status")
    assert result.exit_code == ExitCode.STORE, result.output
    assert "pw-never-shown" not in result.output
    assert "127.0.0.1:1" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "repcli.yaml"]
