"""The evidence archive: every fetch written to WARC files (WARC/1.1, one gzip member per record).

A reference ``"<file>.warc.gz:<offset>"`` names the main record of one fetch (``response``,
``revisit`` or, for a fetch that got no response, ``metadata``); the concurrent ``request`` record
follows it. When a URL's payload is byte-identical to the last one archived for it, a ``revisit``
record (profile *identical-payload-digest*) replaces the response, so an unchanged page costs a few
hundred bytes; when only its noise changed (the reading found the same content fingerprint as that of
the last full response, which the revisit index keeps), so does a revisit of our own profile
(``warcrecords.EQUIVALENT_PROFILE``), unless ``storage.archive_noise``.
Files rotate at ``max_bytes`` and at each UTC day. ``export`` copies records (and the
originals their revisits point to) into one standalone WARC that ``warcio check`` accepts and any
replay tool (pywb, ReplayWeb.page) can open.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from monitor import USER_AGENT, __version__
from monitor.compress import in_background
from monitor.errors import MonitorError
from monitor.models import FetchResult
from monitor.warcrecords import ORIGINAL_REF, WARC_VERSION, BuiltFetch, LastResponse, build_fetch

log = logging.getLogger(__name__)

INDEX_NAME = "revisit-index.json"
JOURNAL_NAME = "revisit-index.jsonl"  # entries since INDEX_NAME was last rewritten
JOURNAL_MIN = 1000  # compact no more often than every this many entries
#: ISA-L level (0-3) of each record's gzip member. warcio writes zlib level 9; zlib 1 was ~20-50 %
#: faster than zlib 3 for 5-6 % more bytes, and ISA-L 1 is ~3.5x faster again than zlib 1 with a
#: slightly better ratio (bench/RESULTS.md, eighth round). The archive is written on every changed
#: fetch, on the compression thread that a first check waits for.
GZIP_LEVEL = 1
_REF = re.compile(r"^(?P<name>[\w.-]+\.warc\.gz):(?P<offset>\d+)$")


class ArchiveError(MonitorError):
    """A WARC reference is malformed or its record cannot be read."""


class WarcArchive:
    """Append-only WARC files under ``root``; see the module docstring for the layout."""

    def __init__(self, root: Path, max_bytes: int = 100_000_000) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.root.mkdir(parents=True, exist_ok=True)
        self._index_path = self.root / INDEX_NAME
        self._journal_path = self.root / JOURNAL_NAME
        self._journaled = 0  # lines in the journal since the last compaction
        self._last: dict[str, dict[str, str]] = self._load_index()
        self._current: Path | None = None  # the WARC file being appended to

    # -- writing -------------------------------------------------------------------------------

    def write(self, fetch: FetchResult, request_headers: Mapping[str, str] | None = None) -> str:
        """Archive one fetch; return the reference of its main record."""
        return self.begin(fetch, request_headers).finish()

    def begin(self, fetch: FetchResult, request_headers: Mapping[str, str] | None = None) -> PendingRecord:
        """Build the fetch's records and compress them on the background thread; ``finish()`` appends them.

        Between the two the caller does other work (a check detects the page). Records are appended in
        ``finish()`` order; a revisit is decided against the last response archived for the URL when the
        records are built (a URL is fetched once per check, so no two of its records are built at once).
        """
        at = _utc_naive(fetch.fetched_at)
        date = datetime_to_iso_date(at, use_micros=True)
        uri = fetch.final_url or fetch.url
        entry = self._last.get(uri)
        last = None if entry is None else LastResponse(entry["digest"], entry["id"], entry["date"], entry["ref"])
        headers = request_headers or {"User-Agent": USER_AGENT}
        built = in_background(build_fetch, fetch, date, headers, last, GZIP_LEVEL)
        return PendingRecord(self, at.strftime("%Y%m%d"), uri, built)

    def _append(
        self, day: str, uri: str, built: BuiltFetch, content: str | None = None, equivalent: bool = False
    ) -> str:
        path = self._current_file(day)
        # A response whose content is unchanged becomes a revisit of the last full one, which stays the
        # original later revisits point at (its payload is the one archived).
        data = built.equivalent if equivalent and self._equivalent(uri, built, content) else built.data
        with path.open("ab") as out:
            offset = out.tell()
            out.write(data)
        ref = f"{path.name}:{offset}"
        if built.remember is not None and data is built.data:
            # The content fingerprint of what was archived (None for a response that was no content:
            # a challenge, an error page), so only a fetch of that same content may stand on it.
            self._remember(uri, {**built.remember, "ref": ref, "content": content or ""})
        return ref

    def _equivalent(self, uri: str, built: BuiltFetch, content: str | None) -> bool:
        """Whether the URL's last full response holds the fetched content (the same fingerprint), and the
        revisit built for this fetch points at it: never a revisit of a challenge page, or of another
        page that a redirect once led to."""
        if not content or built.equivalent is None:
            return False
        entry = self._last.get(uri)
        return entry is not None and entry.get("content") == content and entry["ref"] == built.equivalent_of

    def _current_file(self, day: str) -> Path:
        current = self._current
        if current is not None and current.name.startswith(f"press-monitor-{day}-") and current.exists():
            if current.stat().st_size < self.max_bytes:  # a stat, not a directory listing, per write
                return current
        # Each process starts a file of its own: a file another process left behind may end in a record
        # torn by a crash (kill -9), and a record appended after it would be lost to sequential readers.
        existing = sorted(self.root.glob(f"press-monitor-{day}-*.warc.gz"))
        seq = int(existing[-1].name.rsplit("-", 1)[1].split(".")[0]) + 1 if existing else 0
        path = self.root / f"press-monitor-{day}-{seq:05d}.warc.gz"
        with path.open("xb") as out:
            writer = WARCWriter(out, gzip=True, warc_version=WARC_VERSION)
            info = {
                "software": f"press-monitor/{__version__}",
                "format": "WARC File Format 1.1",
                "description": "press-monitor evidence archive",
            }
            writer.write_record(writer.create_warcinfo_record(path.name, info))
        self._current = path
        return path

    def _load_index(self) -> dict[str, dict[str, str]]:
        """The compacted index, then the journal of later entries on top (a torn last line is skipped)."""
        try:
            index = dict(json.loads(self._index_path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            index = {}
        except (OSError, ValueError):
            log.warning("revisit index %s unreadable; the next fetch of each URL is archived in full", self._index_path)
            index = {}
        try:
            lines = self._journal_path.read_text(encoding="utf-8").splitlines()
        except OSError:
            lines = []
        for line in lines:
            try:
                uri, entry = json.loads(line)
            except ValueError:
                continue
            index[uri] = entry
        self._journaled = len(lines)
        return index

    def _remember(self, uri: str, entry: dict[str, str]) -> None:
        """Append the entry to the journal: O(1) per record, where rewriting the index was O(URLs)."""
        self._last[uri] = entry
        with self._journal_path.open("a", encoding="utf-8") as journal:
            journal.write(json.dumps([uri, entry], ensure_ascii=False) + "\n")
        self._journaled += 1
        if self._journaled > max(JOURNAL_MIN, len(self._last)):  # compaction stays amortised O(1)
            self._save_index()

    def _save_index(self) -> None:
        # Journal first: a crash in between loses entries (their next fetch is archived in full), never
        # brings back an entry prune() dropped.
        self._journal_path.unlink(missing_ok=True)
        self._journaled = 0
        tmp = self._index_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._last, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self._index_path)

    # -- reading -------------------------------------------------------------------------------

    def _open(self, ref: str) -> tuple[Path, int]:
        match = _REF.match(ref)
        if match is None:
            raise ArchiveError(f"not a WARC reference: {ref!r} (expected file.warc.gz:offset)")
        path = self.root / match["name"]
        if not path.is_file():
            raise ArchiveError(f"WARC file not found for {ref}: {path}")
        return path, int(match["offset"])

    def record_bytes(self, ref: str) -> tuple[bytes, dict[str, str]]:
        """The raw gzip member of the record at ``ref`` and its WARC headers."""
        path, offset = self._open(ref)
        with path.open("rb") as fh:
            return _member(fh, offset)

    def read(self, ref: str) -> tuple[dict[str, str], bytes]:
        """HTTP headers and payload of the record at ``ref`` (a revisit yields its original's payload)."""
        path, offset = self._open(ref)
        with path.open("rb") as fh:
            fh.seek(offset)
            record = _next_record(ArchiveIterator(fh), offset)
            headers = dict(record.http_headers.headers) if record.http_headers else {}
            if record.rec_type == "metadata":
                headers = {"Content-Type": record.rec_headers.get_header("Content-Type") or ""}
            body = record.content_stream().read()
            original = record.rec_headers.get_header(ORIGINAL_REF)
        if original and record.rec_type == "revisit":
            return headers, self.read(original)[1]
        return headers, body

    # -- retention -----------------------------------------------------------------------------

    def prune(self, keep: Iterable[str], older_than: date) -> list[Path]:
        """Delete the WARC files of days before ``older_than`` that hold no record still needed.

        Records are never cut out of a file (offsets would break): a whole file goes once nothing in
        it is referenced by ``keep`` (the references the store still points at) or is the original
        a kept revisit stands for. Returns the deleted files.
        """
        needed: set[str] = set()
        for ref in keep:
            needed.add(ref.split(":")[0])
            try:
                original = self._headers(ref).get(ORIGINAL_REF)
            except ArchiveError:
                continue
            if original:
                needed.add(original.split(":")[0])
        cutoff = older_than.strftime("%Y%m%d")
        removed = [
            path
            for path in sorted(self.root.glob("press-monitor-*.warc.gz"))
            if path.name.split("-")[2] < cutoff and path.name not in needed
        ]
        for path in removed:
            path.unlink()
        names = {path.name for path in removed}
        # A later identical payload must not become a revisit of a record that no longer exists.
        self._last = {uri: e for uri, e in self._last.items() if e["ref"].split(":")[0] not in names}
        self._save_index()
        return removed

    def _headers(self, ref: str) -> dict[str, str]:
        path, offset = self._open(ref)
        with path.open("rb") as fh:
            fh.seek(offset)
            return dict(_next_record(ArchiveIterator(fh), offset).rec_headers.headers)

    # -- export --------------------------------------------------------------------------------

    def export(self, refs: Iterable[str], out_dir: Path, name: str = "evidence.warc.gz") -> Path:
        """Copy the records behind ``refs`` (with their requests, and revisits' originals) to one WARC."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / name
        written: set[str] = set()
        with target.open("wb") as out:
            writer = WARCWriter(out, gzip=True, warc_version=WARC_VERSION)
            info = {"software": f"press-monitor/{__version__}", "description": "press-monitor evidence export"}
            writer.write_record(writer.create_warcinfo_record(name, info))
            for ref in refs:
                self._copy(ref, out, written)
        return target

    def _copy(self, ref: str, out: BinaryIO, written: set[str]) -> None:
        if ref in written:
            return
        written.add(ref)
        path, offset = self._open(ref)
        with path.open("rb") as fh:
            member, headers = _member(fh, offset)
            original = headers.get(ORIGINAL_REF)
            if original:
                self._copy(original, out, written)  # the payload a revisit stands for comes first
            out.write(member)
            following = fh.tell()
            request, req_headers = _member(fh, following) if following < path.stat().st_size else (b"", {})
        if req_headers.get("WARC-Concurrent-To") == headers.get("WARC-Record-ID"):
            out.write(request)


@dataclass
class PendingRecord:
    """A fetch's records being built and compressed; :meth:`finish` appends them and returns the main
    record's ref."""

    archive: WarcArchive
    day: str
    uri: str
    built: Future[BuiltFetch]

    def finish(self, *, content: str | None = None, equivalent: bool = False) -> str:
        """Append the records. ``content``: the reading's content fingerprint (None when the response was
        no content). ``equivalent``: that content is unchanged but for noise, so a response is archived
        as a small revisit of the URL's last full response when that one holds the same content."""
        return self.archive._append(self.day, self.uri, self.built.result(), content, equivalent)


def _utc_naive(at: datetime) -> datetime:
    """UTC without tzinfo, as warcio formats dates (a naive input is taken as UTC already)."""
    return at if at.tzinfo is None else at.astimezone(UTC).replace(tzinfo=None)


def _member(fh: BinaryIO, offset: int) -> tuple[bytes, dict[str, str]]:
    """The raw bytes of the gzip member at ``offset`` and its WARC headers; leaves fh after it."""
    fh.seek(offset)
    iterator = ArchiveIterator(fh)
    record = _next_record(iterator, offset)
    headers = dict(record.rec_headers.headers)
    iterator.read_to_end(record)
    length = iterator.get_record_length()
    fh.seek(offset)
    data = fh.read(length)
    return data, headers


def _next_record(iterator: ArchiveIterator, offset: int) -> Any:
    """The record the iterator starts with; ArchiveError unless it is a real WARC record."""
    try:
        record = next(iterator)
    except (StopIteration, ValueError, OSError, ArchiveLoadFailed) as exc:
        raise ArchiveError(f"no WARC record at offset {offset}: {exc}") from exc
    # warcio is lenient: an offset into the middle of a member can parse as an empty record.
    if record.format != "warc" or not record.rec_headers.get_header("WARC-Record-ID"):
        raise ArchiveError(f"no WARC record at offset {offset}")
    return record
