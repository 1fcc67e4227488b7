"""Compression on a background thread.

zlib releases the GIL while it deflates, so a check compresses a body for the database and its WARC
record on the second core while the main thread parses and detects the same page: about a fifth of
the CPU of a changed page moves off the critical path. One worker keeps the order of submission.
"""

from __future__ import annotations

import zlib
from concurrent.futures import Future, ThreadPoolExecutor

_executor: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="press-monitor-compress")
    return _executor


def _deflate(parts: tuple[bytes, ...], level: int, wbits: int) -> tuple[bytes, ...]:
    out = []
    for data in parts:  # each part its own stream (a WARC record is its own gzip member)
        compressor = zlib.compressobj(level, zlib.DEFLATED, wbits)
        out.append(compressor.compress(data) + compressor.flush())
    return tuple(out)


def zlib_later(data: bytes, level: int) -> Future[bytes]:
    """``zlib.compress(data, level)``, computed in the background."""
    return _pool().submit(zlib.compress, data, level)


def gzip_later(parts: tuple[bytes, ...], level: int) -> Future[tuple[bytes, ...]]:
    """Each of ``parts`` as a gzip member, computed in the background."""
    return _pool().submit(_deflate, parts, level, zlib.MAX_WBITS + 16)
