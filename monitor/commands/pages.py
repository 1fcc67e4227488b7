"""``validate``, ``detect`` and ``diff``: work on a config file or on pages, without the database."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.commands.output import print_json, print_table, shorten
from monitor.errors import MonitorError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from monitor.models import FindingChange
    from monitor.outcomes import Signature


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], config: argparse.ArgumentParser) -> None:
    validate = sub.add_parser("validate", parents=[config], help="check config.yaml and report every problem")
    validate.set_defaults(handler=cmd_validate)

    detect = sub.add_parser("detect", help="find labels, statements, appeals and paywalls on one page")
    detect.add_argument("page", metavar="PATH_OR_URL", help="an HTML file, or an http(s) URL fetched once")
    detect.add_argument("--url", help="the page's URL, when PATH_OR_URL is a file (used in locations/reports)")
    detect.add_argument("--json", action="store_true", help="print a JSON array of findings")
    detect.set_defaults(handler=cmd_detect)

    diff = sub.add_parser(
        "diff",
        help="the change events between two versions of a page",
        description="The change events between two versions of a page. A version that is not the outlet's "
        "content (a bot challenge, an error or consent page, an empty page: what a check records as a failed "
        "fetch) is compared with nothing: no events, and a note on stderr naming it.",
    )
    diff.add_argument("old", metavar="OLD", help="the earlier version (file or URL)")
    diff.add_argument("new", metavar="NEW", help="the later version (file or URL)")
    diff.add_argument("--json", action="store_true", help="print a JSON array of events")
    diff.set_defaults(handler=cmd_diff)


def cmd_validate(args: argparse.Namespace) -> int:
    from monitor.app import check_components
    from monitor.config import load_config

    config = load_config(args.config)
    check_components(config)
    pages = sum(len(o.page_urls()) + len(o.feeds) + len(o.sitemaps) for o in config.outlets)
    print(
        f"{args.config}: OK — {len(config.outlets)} outlets, {pages} pages/feeds, {len(config.subscribers)} subscribers"
    )
    return 0


def cmd_detect(args: argparse.Namespace) -> int:
    from monitor.detect import detect

    body, content_type, url = _read_page(args.page)
    findings = detect(body, url=args.url or url, content_type=content_type)
    if args.json:
        print_json([f.to_dict() for f in findings])
    elif not findings:
        print("no findings")
    else:
        rows = ((f.category, f.lang, f.rule, f.location, shorten(f.text)) for f in findings)
        print_table(f"{len(findings)} findings", ["category", "lang", "rule", "location", "text"], rows)
    return 0


def compare_pages(old: str, new: str) -> tuple[list[FindingChange], list[str]]:
    """The change events between two versions (files or URLs), and why a version was not compared.

    As in a check, a version that is not content (a Cloudflare interstitial, a 404 page served with 200)
    says nothing about labels: it can never turn a label into "removed", nor back into "added"."""
    from monitor.detect import detect
    from monitor.diff import diff_findings
    from monitor.outcomes import load_signatures

    signatures = load_signatures()  # read and compiled once for both versions
    old_body, old_type, old_url = _read_page(old)
    new_body, new_type, new_url = _read_page(new)
    unreadable = [
        f"{where}: not content ({cause}); nothing compared"
        for where, cause in ((old, _not_content(old_body, old_type, old, old_url, signatures)),
                             (new, _not_content(new_body, new_type, new, new_url, signatures)))
        if cause is not None
    ]  # fmt: skip
    if unreadable:
        return [], unreadable
    return diff_findings(detect(old_body, content_type=old_type), detect(new_body, content_type=new_type)), []


def cmd_diff(args: argparse.Namespace) -> int:
    changes, unreadable = compare_pages(args.old, args.new)
    for line in unreadable:
        print(line, file=sys.stderr)
    if args.json:
        print_json([c.to_dict() for c in changes])
    elif not changes:
        print("no changes")
    else:
        rows = ((c.category, c.change, shorten(c.before, 60), shorten(c.after, 60)) for c in changes)
        print_table(f"{len(changes)} changes", ["category", "change", "before", "after"], rows)
    return 0


def _not_content(
    body: bytes, content_type: str | None, location: str, final_url: str | None, signatures: Sequence[Signature]
) -> str | None:
    """Why this version is not the outlet's content (the check's own classification), or None."""
    from monitor.extract import decode_html
    from monitor.models import FetchResult
    from monitor.outcomes import classify

    headers = {"content-type": content_type} if content_type else {}
    url = location if location.startswith(("http://", "https://")) else ""
    result = FetchResult(url, final_url or url, 200, headers, body, datetime.now(UTC))
    outcome = classify(result, decode_html(body, content_type), signatures)
    return None if outcome is None else outcome.cause


def _read_page(location: str) -> tuple[bytes, str | None, str | None]:
    """Bytes, Content-Type and URL of a page given as a file path or an http(s) URL (fetched once, politely)."""
    if location.startswith(("http://", "https://")):
        from monitor.crawl import FetchRequest, FetchSettings, fetch, run

        results = run(lambda: fetch([FetchRequest(location)], FetchSettings(retries=0)))
        result = next((r for r in results if r.url == location), results[0] if results else None)
        if result is None or not result.ok:
            raise MonitorError(f"{location}: {result.error if result else 'no response'}")
        return result.body, result.headers.get("content-type"), result.final_url
    try:
        return Path(location).read_bytes(), None, None
    except OSError as exc:
        raise MonitorError(f"{location}: cannot read: {exc.strerror or exc}") from None
