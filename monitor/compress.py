"""Compression: stored bodies (zstd, older stores' zlib still read) and work on a background thread.

zlib, zstd and hashlib release the GIL, so a check compresses a body for the database and builds its
WARC records (digests, gzip members) on one background thread while the main thread fetches and
stores; that thread runs its jobs in the order they were submitted.

Stored bodies are zstd frames: on ~100 KB HTML, level 3 is ~3x faster than zlib level 3 and ~13 %
smaller (``../shared/realworld`` pages: 0.54 vs 1.59 ms a page, ratio 5.0 vs 4.4). Level 2 is ~30 %
faster than 3 for ~3 % more bytes (2026-12-02, interleaved, best of 7: real-world pages 0.68 vs
0.97 ms, ratio 4.86 vs 5.01; bench pages 0.42 vs 0.60 ms, ratio 2.60 vs 2.63), and a first check
waits for this thread when it falls behind. Bodies an older version stored with zlib stay readable: a
zstd frame opens with its magic number, a zlib stream never does (its first byte is 0x78 for the
window size zlib writes).
"""

from __future__ import annotations

import zlib
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

try:  # Python 3.14 ships zstd; backports.zstd is the same module for 3.11-3.13
    from compression import zstd  # type: ignore[import-not-found]
except ImportError:
    from backports import zstd

#: zstd level of stored bodies (one below zstd's default: see above).
BODY_LEVEL = 2
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

#: Jobs the compression thread may have waiting before a new one waits for the oldest: what keeps the
#: bodies and records held for it bounded (~32 pages, a few MB) when it falls behind the crawl.
MAX_BACKLOG = 32

T = TypeVar("T")
_executor: ThreadPoolExecutor | None = None
_backlog: deque[Future[Any]] = deque()


def pack_body(body: bytes) -> bytes:
    """``body`` as it is stored: one zstd frame."""
    return zstd.compress(body, BODY_LEVEL)


def unpack_body(data: bytes) -> bytes:
    """A stored body back: a zstd frame, or the zlib stream of a store written before zstd."""
    return zstd.decompress(data) if data[:4] == _ZSTD_MAGIC else zlib.decompress(data)


def _pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="press-monitor-compress")
    return _executor


def pack_body_later(body: bytes) -> Future[bytes]:
    """:func:`pack_body`, computed in the background."""
    return in_background(pack_body, body)


def in_background(fn: Callable[..., T], *args: Any) -> Future[T]:
    """``fn(*args)`` on the compression thread (in submission order): for work that is mostly zlib, zstd
    and hashlib, which release the GIL (a WARC record's digests and gzip members).

    With :data:`MAX_BACKLOG` jobs not yet done, waits for the oldest first (the thread runs them in
    order): a crawl faster than the compressor slows down instead of holding every body in memory."""
    while _backlog and _backlog[0].done():
        _backlog.popleft()
    if len(_backlog) >= MAX_BACKLOG:
        _backlog.popleft().exception()  # waits; its error, if any, is its caller's to see
    future = _pool().submit(fn, *args)
    _backlog.append(future)
    return future
