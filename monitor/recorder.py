"""Recording each page on the event loop's thread, whichever thread its reading and background work
finished on, and recording the pages ready at the same moment together (one store transaction).

Apart from :mod:`monitor.reader`: a reading worker process imports that module, and must not import
asyncio (with ssl, ~9 MB of every worker's memory) for a class only the main process uses.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from monitor.reader import Reading


@dataclass
class _Pending:
    """A page's record waiting for its reading and background work: ``left`` of them still to come."""

    step: Callable[[Any], None]
    left: int
    reading: Future[Reading] | None = None


class Recorder:
    """Records each page's reading on the event loop's thread, whichever thread the reading came back on,
    and records the pages ready at the same moment together (``group``: e.g. one store transaction).

    :meth:`drained` waits for the last; the first error is re-raised there (and by
    :meth:`raise_first_error`, so a failing store stops the crawl instead of failing every page).
    """

    def __init__(
        self, loop: asyncio.AbstractEventLoop, group: Callable[[], AbstractContextManager[object]] = nullcontext
    ) -> None:
        self._loop = loop
        self._group = group
        self._thread = threading.get_ident()
        self._waiting = 0
        self._ready: list[Callable[[], None]] = []
        self._idle = asyncio.Event()
        self._idle.set()
        self._errors: list[BaseException] = []
        self._pending: dict[int, _Pending] = {}
        self._keys = itertools.count()

    def now(self, step: Callable[[], None], after: Sequence[Future[Any]] = ()) -> None:
        """Record a reading that needed no reader (a failure, a 304), once ``after`` are done."""
        self._expect(lambda _: step(), after, reading=False)

    def later(
        self, step: Callable[[Future[Reading]], None], after: Sequence[Future[Any]] = ()
    ) -> Callable[[Future[Reading]], None]:
        """A done-callback for a reading's future that records it on the loop once ``after`` are done too.

        ``after``: work the record needs (a WARC record's and a body's compression on another thread).
        Waiting for them here, not in the record, keeps the loop from blocking on a busy compressor."""
        return functools.partial(self._reading_done, self._expect(step, after, reading=True))

    def _expect(self, step: Callable[[Any], None], after: Sequence[Future[Any]], *, reading: bool) -> int:
        """Keep ``step`` here until its reading (if ``reading``) and each of ``after`` are done.

        Kept here and not in a callback of those futures: a future keeps its callbacks after running them,
        and a page whose own futures held it through them was a reference cycle that kept its 100 KB body
        alive until the garbage collector happened to run."""
        self._waiting += 1
        self._idle.clear()
        key = next(self._keys)
        if not reading and not after:
            self._enqueue(functools.partial(step, None))
            return key
        self._pending[key] = _Pending(step, int(reading) + len(after))
        for future in after:
            future.add_done_callback(functools.partial(self._part_done, key))
        return key

    def _reading_done(self, key: int, future: Future[Reading]) -> None:
        self._on_loop(self._done, key, future)

    def _part_done(self, key: int, _future: Future[Any]) -> None:
        self._on_loop(self._done, key, None)

    def _on_loop(self, fn: Callable[..., None], *args: Any) -> None:
        """``fn(*args)`` on the loop's thread (callbacks come from the threads that complete futures)."""
        if threading.get_ident() == self._thread:
            fn(*args)
        else:
            self._loop.call_soon_threadsafe(fn, *args)

    def _done(self, key: int, reading: Future[Reading] | None) -> None:
        pending = self._pending[key]
        pending.reading = reading if reading is not None else pending.reading
        pending.left -= 1
        if pending.left == 0:
            del self._pending[key]
            self._enqueue(functools.partial(pending.step, pending.reading))

    def _enqueue(self, step: Callable[[], None]) -> None:
        self._ready.append(step)
        if len(self._ready) == 1:
            # Runs after the callbacks already queued on the loop: readings back by then join this group.
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        ready, self._ready = self._ready, []
        try:
            if not self._errors:
                with self._group():
                    for step in ready:
                        step()
        except Exception as exc:
            self._errors.append(exc)
        finally:
            self._waiting -= len(ready)
            if self._waiting == 0:
                self._idle.set()

    def raise_first_error(self) -> None:
        if self._errors:
            raise self._errors[0]

    async def drained(self) -> None:
        await self._idle.wait()
        self.raise_first_error()
