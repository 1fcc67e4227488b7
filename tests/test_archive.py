"""WarcArchive: records written with warcio, read back, revisits, rotation, export that passes `warcio check`."""

from __future__ import annotations

import subprocess
import sys
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from warcio.archiveiterator import ArchiveIterator

from monitor.archive import ArchiveError, WarcArchive
from monitor.models import FetchResult
from monitor.warcrecords import EQUIVALENT_PROFILE, payload_digest

T0 = datetime(2026, 3, 1, 23, 50, tzinfo=UTC)
URL = "https://example.org/news/1"
HTML = "<html><body><p>НАСТОЯЩИЙ МАТЕРИАЛ (ИНФОРМАЦИЯ) ПРОИЗВЕДЕН…</p></body></html>".encode()


def fetch(body=HTML, status=200, at=T0, url=URL, **kw) -> FetchResult:
    headers = {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "br", "Content-Length": "17"}
    return FetchResult(url, url, status, headers, body, at, **kw)


def records(path):
    with path.open("rb") as fh:
        return [
            (r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
            for r in ArchiveIterator(fh)
        ]


def warcio_check(path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import sys; from warcio.cli import main; sys.exit(main())", "check", "-v", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_write_and_read_back(tmp_path):
    archive = WarcArchive(tmp_path / "warc")
    ref = archive.write(fetch(), {"User-Agent": "press-monitor-test"})
    name, offset = ref.split(":")
    assert name.endswith(".warc.gz")
    assert int(offset) > 0  # a warcinfo record opens every file
    headers, body = archive.read(ref)
    assert body == HTML
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    # The archived body is decoded: the encoding header is kept only as X-Archive-Orig-*.
    assert "Content-Encoding" not in headers
    assert headers["X-Archive-Orig-Content-Encoding"] == "br"
    assert headers["Content-Length"] == str(len(HTML))
    kinds = [(kind, uri) for kind, uri, _ in records(tmp_path / "warc" / name)]
    assert kinds == [("warcinfo", None), ("response", URL), ("request", URL)]
    with (tmp_path / "warc" / name).open("rb") as fh:
        request = next(r for r in ArchiveIterator(fh) if r.rec_type == "request")
        assert request.http_headers.get_header("User-Agent") == "press-monitor-test"
        assert request.http_headers.protocol == "GET"


def test_every_record_is_its_own_standard_gzip_member(tmp_path):
    """What tools that seek to a record's offset rely on (pywb, `warcio extract`, zcat): each record
    opens a gzip member at its reference's offset that the standard library inflates on its own."""
    archive = WarcArchive(tmp_path / "warc")
    body = ("<p>" + "Новость дня, " * 8000 + "</p>").encode()  # ~200 KB: several deflate blocks
    refs = [archive.write(fetch(body + bytes([n])), {}) for n in range(3)]
    data = (tmp_path / "warc" / refs[0].split(":")[0]).read_bytes()
    offsets = [int(ref.split(":")[1]) for ref in refs]
    for offset in offsets:
        member = zlib.decompressobj(zlib.MAX_WBITS + 16)
        record = member.decompress(data[offset:])
        assert member.eof, "a record's gzip member must end on its own"
        assert record.startswith(b"WARC/1.1\r\nWARC-Date: ")
        assert b"WARC-Type: response\r\n" in record
        assert record.endswith(b"\r\n\r\n")
        assert body in record
        assert member.unused_data[:2] == b"\x1f\x8b"  # the fetch's request record: the next member


def test_identical_payload_becomes_a_revisit_even_after_restart(tmp_path):
    first = WarcArchive(tmp_path).write(fetch())
    archive = WarcArchive(tmp_path)  # the last digest per URL survives a restart
    second = archive.write(fetch(at=T0 + timedelta(minutes=5)))
    path = tmp_path / second.split(":")[0]
    with path.open("rb") as fh:
        fh.seek(int(second.split(":")[1]))
        revisit = next(iter(ArchiveIterator(fh)))
    assert revisit.rec_type == "revisit"
    assert revisit.rec_headers.get_header("WARC-Profile").endswith("/warc/1.1/revisit/identical-payload-digest")
    assert revisit.rec_headers.get_header("WARC-Payload-Digest") == payload_digest(HTML)
    assert revisit.rec_headers.get_header("WARC-Refers-To-Target-URI") == URL
    # Reading a revisit yields the original payload.
    assert archive.read(second)[1] == HTML
    assert archive.read(first)[1] == HTML
    # A changed payload is a full response again.
    third = archive.write(fetch(body=HTML + b"<!-- v2 -->", at=T0 + timedelta(minutes=9)))
    assert records(path)[-2][0] == "response"
    assert archive.read(third)[1].endswith(b"v2 -->")


def test_revisit_is_cheap(tmp_path):
    archive = WarcArchive(tmp_path)
    big = b"<html>" + b"x" * 200_000 + b"</html>"
    ref = archive.write(fetch(body=big))
    path = tmp_path / ref.split(":")[0]
    before = path.stat().st_size
    archive.write(fetch(body=big, at=T0 + timedelta(minutes=1)))
    assert path.stat().st_size - before < 1500


def test_noise_only_response_is_archived_as_a_small_revisit_of_the_last_full_one(tmp_path):
    archive = WarcArchive(tmp_path)
    big = b"<html><p>" + "Новость дня. ".encode() * 8000 + b"</p>"
    first = archive.begin(fetch(body=big + b"<i>09:40</i></html>")).finish(content="fp1")
    path = tmp_path / first.split(":")[0]
    before = path.stat().st_size
    noisy = big + b"<i>11:02</i></html>"
    second = archive.begin(fetch(body=noisy, at=T0 + timedelta(minutes=5))).finish(content="fp1", equivalent=True)
    assert path.stat().st_size - before < 1500  # the ~100 KB body is not archived again
    with path.open("rb") as fh:
        fh.seek(int(second.split(":")[1]))
        revisit = next(iter(ArchiveIterator(fh)))
    assert revisit.rec_type == "revisit"
    assert revisit.rec_headers.get_header("WARC-Profile") == EQUIVALENT_PROFILE
    # The digest is of the bytes fetched, never a claim that they equal the original's.
    assert revisit.rec_headers.get_header("WARC-Payload-Digest") == payload_digest(noisy)
    assert revisit.rec_headers.get_header("WARC-Refers-To-Target-URI") == URL
    assert archive.read(second)[1] == big + b"<i>09:40</i></html>"  # replay shows the original
    # The full response stays the one later revisits refer to: an identical payload is its revisit.
    third = archive.write(fetch(body=big + b"<i>09:40</i></html>", at=T0 + timedelta(minutes=9)))
    assert archive.read(third)[1].endswith(b"09:40</i></html>")
    # The file, and an export of the revisit (with its original), pass warcio's own check.
    assert warcio_check(path).returncode == 0
    out = archive.export([second], tmp_path / "evidence")
    assert [kind for kind, _, _ in records(out)] == ["warcinfo", "response", "request", "revisit", "request"]
    assert warcio_check(out).returncode == 0


def test_noise_only_response_of_a_url_never_archived_is_archived_in_full(tmp_path):
    archive = WarcArchive(tmp_path)
    ref = archive.begin(fetch()).finish(content="fp1", equivalent=True)  # nothing to refer to (a new URL)
    assert archive.read(ref)[1] == HTML
    assert [kind for kind, _, _ in records(tmp_path / ref.split(":")[0])] == ["warcinfo", "response", "request"]


@pytest.mark.parametrize(
    "last_content",
    [
        None,  # the last full response was no content (a challenge, an error page served with 200)
        "fp-other",  # it held other content (a redirect that once led to another page)
    ],
)
def test_a_revisit_only_stands_on_a_response_that_holds_the_same_content(tmp_path, last_content):
    archive = WarcArchive(tmp_path)
    archive.begin(fetch(body=b"<html>Just a moment...</html>")).finish(content=last_content)
    again = fetch(body=HTML, at=T0 + timedelta(minutes=5))
    ref = archive.begin(again).finish(content="fp1", equivalent=True)
    assert archive.read(ref)[1] == HTML  # archived in full: the evidence is the page fetched
    # and that full response is now the one a later noise-only fetch of the same content stands on
    noisy = fetch(body=HTML + b"<!-- 11:02 -->", at=T0 + timedelta(minutes=9))
    later = archive.begin(noisy).finish(content="fp1", equivalent=True)
    with (tmp_path / later.split(":")[0]).open("rb") as fh:
        fh.seek(int(later.split(":")[1]))
        assert next(iter(ArchiveIterator(fh))).rec_type == "revisit"
    assert archive.read(later)[1] == HTML


def test_failed_fetch_without_response_is_a_metadata_note(tmp_path):
    archive = WarcArchive(tmp_path)
    ref = archive.write(fetch(body=b"", status=None, error="DNS lookup failed"))
    headers, body = archive.read(ref)
    assert headers == {"Content-Type": "application/json"}
    assert b"DNS lookup failed" in body
    assert [kind for kind, _, _ in records(tmp_path / ref.split(":")[0])] == ["warcinfo", "metadata", "request"]


def test_blocked_response_is_kept_as_evidence(tmp_path):
    archive = WarcArchive(tmp_path)
    ref = archive.write(fetch(body=b"<h1>Blocked by order of the court</h1>", status=451))
    with (tmp_path / ref.split(":")[0]).open("rb") as fh:
        fh.seek(int(ref.split(":")[1]))
        record = next(iter(ArchiveIterator(fh)))
    assert record.http_headers.get_statuscode() == "451"
    assert archive.read(ref)[1] == b"<h1>Blocked by order of the court</h1>"


def test_rotation_by_size_and_utc_day(tmp_path):
    archive = WarcArchive(tmp_path, max_bytes=2_000)
    refs = [archive.write(fetch(body=HTML + str(i).encode(), url=f"{URL}?{i}")) for i in range(6)]
    files_day1 = {ref.split(":")[0] for ref in refs}
    assert len(files_day1) > 1
    assert all(name.startswith("press-monitor-20260301-") for name in files_day1)
    # 23:50 + 15 minutes is the next UTC day: a new file.
    next_day = archive.write(fetch(at=T0 + timedelta(minutes=15)))
    assert next_day.startswith("press-monitor-20260302-00000.warc.gz:")
    for ref in [*refs, next_day]:
        assert archive.read(ref)[1].startswith(HTML[:20])
    for path in tmp_path.glob("*.warc.gz"):
        assert warcio_check(path).returncode == 0


def test_export_is_a_standalone_valid_warc(tmp_path):
    archive = WarcArchive(tmp_path / "warc", max_bytes=1_500)
    before = archive.write(fetch())
    archive.write(fetch(body=b"other", url="https://example.org/other"))
    revisit = archive.write(fetch(at=T0 + timedelta(minutes=1)))
    after = archive.write(fetch(body=HTML + b"<p>new label</p>", at=T0 + timedelta(minutes=2)))
    failed = archive.write(fetch(body=b"", status=None, error="timeout", at=T0 + timedelta(minutes=3)))
    out = archive.export([revisit, after, failed, after], tmp_path / "evidence")
    result = warcio_check(out)
    assert result.returncode == 0, result.stdout + result.stderr
    kinds = [(kind, uri) for kind, uri, _ in records(out)]
    # The revisit's original response is exported before it; every record keeps its request.
    assert kinds == [
        ("warcinfo", None),
        ("response", URL),
        ("request", URL),
        ("revisit", URL),
        ("request", URL),
        ("response", URL),
        ("request", URL),
        ("metadata", URL),
        ("request", URL),
    ]
    assert records(out)[1][2] == HTML
    assert before  # written, and reachable only through the revisit in the export


@pytest.mark.parametrize("ref", ["nope", "../etc/passwd.warc.gz:0", "a/b.warc.gz:0", "missing.warc.gz:0"])
def test_bad_references_raise(tmp_path, ref):
    with pytest.raises(ArchiveError):
        WarcArchive(tmp_path).read(ref)


def test_reference_to_a_non_record_offset_raises(tmp_path):
    archive = WarcArchive(tmp_path)
    name = archive.write(fetch()).split(":")[0]
    with pytest.raises(ArchiveError):
        archive.read(f"{name}:3")


def test_prune_deletes_only_files_nothing_needs(tmp_path):
    archive = WarcArchive(tmp_path)
    day0, day1, day2 = T0 - timedelta(days=2), T0 - timedelta(days=1), T0
    gone = archive.write(fetch(body=b"only on day 0", url="https://example.org/c", at=day0))
    original = archive.write(fetch(at=day1))
    revisit = archive.write(fetch(at=day2))  # same payload: a revisit of the day-1 record
    recent = archive.write(fetch(body=b"today", url="https://example.org/d", at=day2))
    # The store keeps the revisit and today's record; the day-1 original is needed by the revisit.
    removed = archive.prune([revisit, recent], older_than=day2.date())
    assert [p.name for p in removed] == [gone.split(":")[0]]
    assert archive.read(revisit)[1] == HTML
    assert archive.read(original)[1] == HTML
    with pytest.raises(ArchiveError):
        archive.read(gone)
    # The deleted record is forgotten: the same payload again is archived in full, not as a revisit.
    again = archive.write(fetch(body=b"only on day 0", url="https://example.org/c", at=day2))
    assert archive.read(again)[1] == b"only on day 0"
    assert WarcArchive(tmp_path).prune([], older_than=day0.date()) == []


def test_records_of_an_iri_and_hostile_headers_are_valid_and_cannot_forge_fields(tmp_path):
    iri = "https://example.org/новости?q=1"
    headers = {"Content-Type": "text/html", "X-Note": "значение\r\nWARC-Type: forged"}
    archive = WarcArchive(tmp_path)
    refs = [
        archive.write(FetchResult(iri, iri, 200, headers, HTML, T0)),
        archive.write(FetchResult(iri, iri, 200, headers, HTML, T0 + timedelta(minutes=1))),  # a revisit
        archive.write(FetchResult(iri, iri, None, {}, b"", T0 + timedelta(minutes=2), error="DNS lookup failed")),
    ]
    path = tmp_path / refs[0].split(":")[0]
    assert warcio_check(path).returncode == 0
    assert [kind for kind, _, _ in records(path)][1:] == [
        "response",
        "request",
        "revisit",
        "request",
        "metadata",
        "request",
    ]
    read_headers, body = archive.read(refs[1])
    assert body == HTML
    assert read_headers["X-Note"] == "%D0%B7%D0%BD%D0%B0%D1%87%D0%B5%D0%BD%D0%B8%D0%B5 WARC-Type: forged"  # one line
    with path.open("rb") as fh:
        kinds = [r.rec_headers.get_header("WARC-Type") for r in ArchiveIterator(fh)]
        fh.seek(0)
        request = next(r for r in ArchiveIterator(fh) if r.rec_type == "request")
    assert "forged" not in kinds
    assert request.http_headers.get_statuscode() == "/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8?q=1"  # as sent
    assert request.rec_headers.get_header("WARC-Target-URI") == iri
