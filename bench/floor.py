"""The floor: the least any monitor must do per check — fetch every page, parse what changed.

    python -m bench.floor URLS_FILE VALIDATORS_JSON

One aiohttp session (64 connections), conditional GETs with the ETags of the last run, and an lxml
parse of every 200 body. No politeness, no storage, no detection: a lower bound, not a monitor.
Prints one JSON line: {"pages", "ok", "not_modified", "failed", "bytes"}.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import aiohttp
from lxml import etree

CONNECTIONS = 64


async def fetch_all(urls: list[str], etags: dict[str, str]) -> dict[str, int]:
    counts = {"pages": len(urls), "ok": 0, "not_modified": 0, "failed": 0, "bytes": 0}
    parser = etree.HTMLParser()
    queue: asyncio.Queue[str] = asyncio.Queue()
    for url in urls:
        queue.put_nowait(url)

    async def worker(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            url = queue.get_nowait()
            headers = {"If-None-Match": etags[url]} if url in etags else {}
            try:
                async with session.get(url, headers=headers) as response:
                    body = await response.read()
                    if response.status == 304:
                        counts["not_modified"] += 1
                        continue
                    etree.fromstring(body, parser)
                    counts["ok"] += 1
                    counts["bytes"] += len(body)
                    if response.headers.get("ETag"):
                        etags[url] = response.headers["ETag"]
            except (aiohttp.ClientError, TimeoutError, etree.XMLSyntaxError):
                counts["failed"] += 1

    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(worker(session) for _ in range(CONNECTIONS)))
    return counts


def main() -> None:
    urls = Path(sys.argv[1]).read_text(encoding="utf-8").split()
    state = Path(sys.argv[2])
    etags = json.loads(state.read_text(encoding="utf-8")) if state.exists() else {}
    counts = asyncio.run(fetch_all(urls, etags))
    state.write_text(json.dumps(etags), encoding="utf-8")
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
