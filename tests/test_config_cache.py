"""The parsed configuration is reused only for the same bytes at the same place, is exactly
what parsing gives, and an invalid configuration is reported every time."""

from __future__ import annotations

from pathlib import Path

import pytest

from iamgate import config as config_module
from iamgate import config_cache
from iamgate.config import ConfigError, load_config


def _parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    seen: list[Path] = []
    real = config_module._parse

    def counting(path: Path, raw: bytes):  # type: ignore[no-untyped-def]
        seen.append(path)
        return real(path, raw)

    monkeypatch.setattr(config_module, "_parse", counting)
    return seen


def test_an_unchanged_configuration_is_parsed_once_and_read_back_equal(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parses = _parses(monkeypatch)
    fresh = load_config(cwd=project)
    first = load_config(cwd=project, cache=True)
    second = load_config(cwd=project, cache=True)
    assert len(parses) == 2  # the uncached load and the one that filled the cache
    assert second == first == fresh
    assert second.raw == fresh.raw
    assert second.exceptions[0].expires == fresh.exceptions[0].expires  # a date, not text
    assert second.deploy.targets == fresh.deploy.targets


def test_an_edited_configuration_is_parsed_again(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_config(cwd=project, cache=True)
    parses = _parses(monkeypatch)
    config = project / "iamgate.yaml"
    config.write_text(config.read_text().replace("prefix: service-", "prefix: team-"))
    assert load_config(cwd=project, cache=True).prefix == "team-"
    assert len(parses) == 1


def test_an_invalid_configuration_is_never_cached(project: Path) -> None:
    config = project / "iamgate.yaml"
    config.write_text(config.read_text().replace("fail-on: error", "fail-on: sometimes"))
    for _ in range(2):
        with pytest.raises(ConfigError) as error:
            load_config(cwd=project, cache=True)
        assert error.value.line is not None and "sometimes" in str(error.value)
    assert not list((project / ".iamgate_cache").rglob("config-*.json"))


def test_a_damaged_cached_configuration_is_parsed_again(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_config(cwd=project, cache=True)
    (entry,) = (project / ".iamgate_cache").rglob("config-*.json")
    entry.write_text('{"!": "config", "t": "Path", "v": {}}')
    parses = _parses(monkeypatch)
    assert load_config(cwd=project, cache=True) == load_config(cwd=project)
    assert len(parses) == 2


def test_a_parse_is_reused_on_the_day_it_was_made_only(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A waiver in lint.rules lapses on its expiry date: the same bytes then mean other levels.
    load_config(cwd=project, cache=True)
    parses = _parses(monkeypatch)
    load_config(cwd=project, cache=True)
    assert parses == []
    monkeypatch.setattr(config_cache, "_today", lambda: "2999-01-01")
    load_config(cwd=project, cache=True)
    assert len(parses) == 1
