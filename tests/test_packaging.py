"""A plain (non-editable) wheel carries everything: templates, rule packs, signatures, migrations, spiders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("press_monitor-*.whl")
    return built


def test_wheel_ships_data_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "monitor/templates/alert.html.j2" in names
    assert "monitor/templates/digest.txt.j2" in names
    assert any(n.startswith("monitor/rules/") and n.endswith(".yaml") for n in names)
    assert "monitor/outcomes/signatures.yaml" in names
    assert any(n.startswith("monitor/store/migrations/versions/") for n in names)
    assert "spiders/outlet.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "press-monitor = monitor.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_wheel_runs_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {**os.environ, "PYTHONPATH": str(site)}  # the unpacked wheel wins over the editable checkout
    page = REPO / "seeds" / "moscowtimes-idlib.html"
    probe = "import monitor, monitor.resources as r; print(monitor.__file__); print(r.templates_dir())"
    where = subprocess.run([sys.executable, "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert str(site) in where.stdout.splitlines()[0]
    assert str(site) in where.stdout.splitlines()[1]
    ran = subprocess.run(
        [sys.executable, "-m", "monitor", "detect", str(page), "--json"],
        env=env, cwd=tmp_path, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert {f["category"] for f in json.loads(ran.stdout)} == {"donation_appeal", "foreign_agent_statement"}
    config = tmp_path / "config.yaml"
    config.write_text("outlets: [{name: A, homepage: 'https://a.example/'}]\n", encoding="utf-8")
    history = subprocess.run(
        [sys.executable, "-m", "monitor", "history", "--json", "--config", str(config)],
        env=env, cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    assert history.returncode == 0, history.stderr  # the migrations ran from the wheel
    assert json.loads(history.stdout) == []


def test_every_package_of_the_checkout_is_in_the_wheel(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = [p.parent.relative_to(REPO).as_posix() for p in (REPO / "monitor").rglob("__init__.py")]
    missing = [pkg for pkg in packages if f"{pkg}/__init__.py" not in names]
    assert missing == [], "add these to [tool.setuptools] packages in pyproject.toml"
