"""A WARC file torn by a crash is never appended to: the next process starts its own file."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from monitor.archive import WarcArchive
from monitor.models import FetchResult

AT = datetime(2026, 3, 1, 12, tzinfo=UTC)


def fetch(body: bytes) -> FetchResult:
    return FetchResult("https://o.example/", "https://o.example/", 200, {"content-type": "text/html"}, body, AT)


def test_after_a_torn_record_the_next_process_writes_a_clean_file(tmp_path: Path) -> None:
    first = WarcArchive(tmp_path)
    ref = first.write(fetch(b"<html><body>first</body></html>"))
    torn = tmp_path / ref.split(":")[0]
    with torn.open("ab") as out:  # what kill -9 in the middle of a write leaves behind
        out.write(b"\x1f\x8b\x08\x00half a record")
    second = WarcArchive(tmp_path)  # a new process
    new_ref = second.write(fetch(b"<html><body>second</body></html>"))
    assert new_ref.split(":")[0] != torn.name
    assert second.read(new_ref)[1] == b"<html><body>second</body></html>"
    assert first.read(ref)[1] == b"<html><body>first</body></html>"  # offsets into the torn file still work
    warcio = Path(sys.executable).parent / "warcio"
    assert subprocess.run([warcio, "check", str(tmp_path / new_ref.split(":")[0])]).returncode == 0
