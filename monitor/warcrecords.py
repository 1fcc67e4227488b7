"""WARC/1.1 records of one fetch, serialised by hand and gzipped as members, off the event loop.

What warcio's ``RecordBuilder`` and ``WARCWriter`` write (the same fields, in the same order, read back
by warcio and accepted by ``warcio check``), for a fraction of the cost: warcio copies the payload
through ``BytesIO`` twice, digests it in 16 KB chunks for each digest and looks the host name up for
every writer, ~0.5 ms of the main thread per 100 KB page. Here a record is a list of byte strings (WARC
header, HTTP head, payload) that the gzip member compresses without joining them, each digest is one
``hashlib`` call (which releases the GIL), and :func:`build_fetch` runs on the background thread that
compresses. The gzip members are deflated by ISA-L (``isal_zlib``, a drop-in for ``zlib`` that also
releases the GIL): standard gzip that every reader opens, ~3.5x faster than zlib's fastest level at a
slightly better ratio on 100 KB pages (bench/RESULTS.md). Exports, file headers (``warcinfo``) and
reading still use warcio.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import quote, urlsplit

from isal import isal_zlib
from w3lib.url import safe_url_string

from monitor.models import FetchResult

WARC_VERSION = "1.1"
#: Our extension field on revisit records: the reference of the record holding the payload.
ORIGINAL_REF = "WARC-Refers-To-Press-Monitor-Ref"
REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
#: Our revisit profile (WARC 1.1 lets a profile be any URI) for a response whose bytes differ from the
#: last archived one only in what never yields a finding (clock times, counters, tokens, comments,
#: related links: the same content fingerprint). Its ``WARC-Payload-Digest`` is the digest of the bytes
#: that were *not* archived, so it never claims an identical payload; replay shows the original.
EQUIVALENT_PROFILE = "https://press-monitor.invalid/warc/revisit/equivalent-content"
# The body we archive is already decoded (Scrapy removed Content-Encoding and chunking), so these
# headers would lie about it; they are kept under X-Archive-Orig-* as replay tools expect.
_DECODED = ("content-encoding", "transfer-encoding", "content-length")
_LINE_BREAK = re.compile(r"[\r\n]+")
_PRINTABLE = " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"  # kept as they are in a percent-encoded value


@dataclass(frozen=True)
class LastResponse:
    """The last response archived for a URL: a later identical payload becomes a revisit of it."""

    digest: str
    record_id: str
    date: str
    ref: str


@dataclass(frozen=True)
class BuiltFetch:
    """A fetch's records as gzip members (main record, then its request) and, for a full response, what a
    later revisit needs (``digest``, ``record_id``, ``date``; its reference is known once appended).

    ``equivalent``: for a full response of a URL archived before, the same fetch as a revisit of that
    last response (:data:`EQUIVALENT_PROFILE`), appended instead when the page's reading finds its
    content unchanged. Built here, off the event loop, since the reading comes later: a few hundred
    bytes more held per page."""

    data: bytes
    remember: dict[str, str] | None
    equivalent: bytes | None = None
    equivalent_of: str | None = None  # the reference the equivalent revisit points at


def payload_digest(body: bytes) -> str:
    """The WARC payload digest of ``body`` (``sha1:`` + base32, as warcio writes it)."""
    return _b32(hashlib.sha1(body, usedforsecurity=False).digest())


def build_fetch(
    fetch: FetchResult, date: str, request_headers: Mapping[str, str], last: LastResponse | None, level: int
) -> BuiltFetch:
    """The main record of ``fetch`` (a response, a revisit of ``last``, or a metadata note for a fetch
    that got no response) and its request record, each its own gzip member at ``level``."""
    uri = fetch.final_url or fetch.url
    record_id = _record_id()
    remember, revisit = None, None
    if fetch.status is None:
        note = {"url": fetch.url, "error": fetch.error or "no response", "fetched_at": date}
        main = _metadata(uri, date, record_id, json.dumps(note, ensure_ascii=False).encode())
    else:
        digest = payload_digest(fetch.body)
        head = _http_head(fetch)
        if fetch.body and last is not None and last.digest == digest:
            main = _revisit(uri, date, record_id, head, digest, last)
        else:
            main = _response(uri, date, record_id, head, fetch.body, digest)
            remember = {"digest": digest, "id": record_id, "date": date} if fetch.body else None
            if fetch.body and last is not None:
                revisit = _revisit(uri, date, record_id, head, digest, last, EQUIVALENT_PROFILE)
    request = _gzip_member(_request(uri, date, record_id, request_headers), level)
    equivalent = None if revisit is None else _gzip_member(revisit, level) + request
    refers = last.ref if equivalent is not None and last is not None else None
    return BuiltFetch(_gzip_member(main, level) + request, remember, equivalent, refers)


def _response(uri: str, date: str, record_id: str, head: bytes, body: bytes, digest: str) -> list[bytes]:
    fields = [("WARC-Date", date), ("WARC-Type", "response"), ("WARC-Record-ID", record_id)]
    fields += [("WARC-Target-URI", uri), ("WARC-Payload-Digest", digest)]
    return _record(fields, [head, body], "application/http; msgtype=response")


def _revisit(
    uri: str, date: str, record_id: str, head: bytes, digest: str, last: LastResponse, profile: str = REVISIT_PROFILE
) -> list[bytes]:
    fields = [("WARC-Date", date), ("WARC-Refers-To", last.record_id), ("WARC-Type", "revisit")]
    fields += [("WARC-Record-ID", record_id), ("WARC-Target-URI", uri), ("WARC-Profile", profile)]
    fields += [("WARC-Refers-To-Target-URI", uri), ("WARC-Refers-To-Date", last.date)]
    fields += [("WARC-Payload-Digest", digest), (ORIGINAL_REF, last.ref)]
    return _record(fields, [head], "application/http; msgtype=response")


def _metadata(uri: str, date: str, record_id: str, note: bytes) -> list[bytes]:
    fields = [("WARC-Date", date), ("WARC-Type", "metadata"), ("WARC-Record-ID", record_id)]
    fields += [("WARC-Target-URI", uri), ("WARC-Payload-Digest", payload_digest(note))]
    return _record(fields, [note], "application/json")


def _request(uri: str, date: str, concurrent_to: str, headers: Mapping[str, str]) -> list[bytes]:
    parts = urlsplit(safe_url_string(uri))  # an IRI's request line is percent-encoded, as it was sent
    target = parts.path or "/"
    target += f"?{parts.query}" if parts.query else ""
    lines = [("Host", parts.netloc), *((k, v) for k, v in headers.items() if k.lower() != "host")]
    head = _head(f"GET {target} HTTP/1.1", lines)
    fields = [("WARC-Date", date), ("WARC-Type", "request"), ("WARC-Record-ID", _record_id())]
    fields += [("WARC-Target-URI", uri), ("WARC-Payload-Digest", _EMPTY_DIGEST)]
    fields += [("WARC-Concurrent-To", concurrent_to)]
    return _record(fields, [head], "application/http; msgtype=request")


def _http_head(fetch: FetchResult) -> bytes:
    status = int(fetch.status or 0)
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    lines = [(f"X-Archive-Orig-{k}" if k.lower() in _DECODED else k, v) for k, v in fetch.headers.items()]
    lines.append(("Content-Length", str(len(fetch.body))))
    return _head(f"HTTP/1.1 {status} {phrase}", lines)


def _head(first_line: str, lines: Sequence[tuple[str, str]]) -> bytes:
    """An HTTP head; a header value that is not ASCII is percent-encoded (RFC 8187), as warcio does."""
    text = "".join(f"{_one_line(k)}: {_ascii(_one_line(v))}\r\n" for k, v in lines)
    return f"{first_line}\r\n{text}\r\n".encode("ascii", "replace")


def _ascii(value: str) -> str:
    return value if value.isascii() else quote(value, safe=_PRINTABLE)


def _record(fields: list[tuple[str, str]], block: list[bytes], content_type: str) -> list[bytes]:
    """The parts of one WARC record: its header (block digest and length added), the block, the end."""
    length = sum(len(part) for part in block)
    digest = hashlib.sha1(usedforsecurity=False)
    for part in block:
        digest.update(part)
    fields = [*fields, ("WARC-Block-Digest", _b32(digest.digest()))]
    fields += [("Content-Type", content_type), ("Content-Length", str(length))]
    header = f"WARC/{WARC_VERSION}\r\n" + "".join(f"{k}: {_one_line(v)}\r\n" for k, v in fields) + "\r\n"
    return [header.encode("utf-8"), *block, b"\r\n\r\n"]


def _gzip_member(parts: list[bytes], level: int) -> bytes:
    """One gzip member of ``parts`` (compressed in turn: a 100 KB payload is never copied to join them),
    at ISA-L ``level`` (0-3)."""
    compressor = isal_zlib.compressobj(level, isal_zlib.DEFLATED, isal_zlib.MAX_WBITS + 16)
    return b"".join([*(compressor.compress(part) for part in parts), compressor.flush()])


def _one_line(value: str) -> str:
    """A header value cannot break its line (a hostile server's header must not forge WARC fields)."""
    return _LINE_BREAK.sub(" ", value)


def _record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def _b32(digest: bytes) -> str:
    return "sha1:" + base64.b32encode(digest).decode()


_EMPTY_DIGEST = payload_digest(b"")  # a request record's payload: none
