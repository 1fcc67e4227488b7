"""config.yaml: the shipped watchlist validates; every kind of mistake is reported with file:line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import load_config, parse_duration
from monitor.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value.problems


def test_shipped_config_is_valid_and_watches_real_outlets() -> None:
    config = load_config(ROOT / "config.yaml")
    names = {o.name for o in config.outlets}
    assert {"Meduza", "The Moscow Times", "TV Rain", "Mediazona"} <= names
    assert config.mail.smtp is None  # the outbox folder is the embedded default
    assert config.storage.url.startswith("sqlite:///")


def test_unknown_key_is_an_error_naming_line_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, "outlets:\n  - name: A\n    homepage: https://a.example/\n    tagz: [x]\n")
    assert problems(path) == [
        f"{path}:4:5: outlets[0].tagz: unknown key (check the spelling; see the README for the keys this section takes)"
    ]


def test_bad_url_and_bad_email_are_reported_together_in_file_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "subscribers:\n  - email: not-an-address\noutlets:\n  - name: B\n    homepage: ftp://b.example/\n",
    )
    found = problems(path)
    assert found[0].startswith(f"{path}:2:5: subscribers[0].email:")
    assert "not an email address" in found[0]
    assert found[1] == f"{path}:5:5: outlets[0].homepage: 'ftp://b.example/' is not an http(s) URL"


def test_password_in_config_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "mail:\n  smtp:\n    host: smtp.example.org\n    password: hunter2\n")
    (problem,) = problems(path)
    assert "password_env" in problem
    assert "hunter2" not in problem


def test_invalid_yaml_names_the_position(tmp_path: Path) -> None:
    path = write(tmp_path, "outlets:\n  - name: [unclosed\n")
    (problem,) = problems(path)
    assert problem.startswith(f"{path}:")
    assert "invalid YAML" in problem


def test_impolite_interval_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "outlets:\n  - {name: A, homepage: 'https://a.example/', schedule: {interval: 5s}}\n")
    (problem,) = problems(path)
    assert "outlets[0].schedule: interval must be at least 60s" in problem


def test_duplicate_outlet_names_are_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "outlets:\n  - {name: A, homepage: 'https://a.example/'}\n  - {name: A, homepage: 'https://b.example/'}\n",
    )
    (problem,) = problems(path)
    assert "outlet name 'A' is used twice" in problem


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    assert problems(tmp_path / "nope.yaml") == [f"{tmp_path / 'nope.yaml'}: file not found"]


def test_outlet_without_pages_watches_its_homepage(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "outlets:\n  - {name: A, homepage: 'https://a.example/'}\n"))
    assert config.outlets[0].page_urls() == ["https://a.example/"]


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("30m", 1800), ("1h", 3600), ("1d", 86400), (45, 45)])
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_a_mistake_in_a_watchlist_using_yaml_merge_keys_is_still_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "outlets:\n  - &a {name: A, homepage: 'https://a.example/', languages: [ru]}\n"
        "  - <<: *a\n    name: B\n    tagz: [x]\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"outlets\[1\]\.tagz: unknown key"):
        load_config(path)
    path.write_text(path.read_text(encoding="utf-8").replace("    tagz: [x]\n", ""), encoding="utf-8")
    assert [o.name for o in load_config(path).outlets] == ["A", "B"]  # merge keys work
