"""Turn whatever happened to a request (a response of any status, or a failure) into a ``FetchResult``.

Failures are named by cause, in words an operator can act on ("DNS lookup failed", "timed out after
30s", "blocked by robots.txt"), because they end up in ``unreachable`` events and status output.
"""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus
from typing import TYPE_CHECKING

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    NotSupported,
    ResponseDataLossError,
    UnsupportedURLSchemeError,
)
from twisted.internet import error as net_error

from monitor.models import FetchResult
from spiders.extensions import CrawlDeadlineExceeded

if TYPE_CHECKING:
    from scrapy.http import Request, Response
    from twisted.python.failure import Failure


def _headers(response: Response) -> dict[str, str]:
    """Lower-case header names -> values (repeated headers joined with ", ", as RFC 9110 allows)."""
    out: dict[str, str] = {}
    for name, values in response.headers.items():
        key = bytes(name).decode("latin-1").lower()
        out[key] = ", ".join(bytes(v).decode("latin-1") for v in values)
    return out


def http_error(status: int) -> str | None:
    """The error text for a status that is not a success (None for 2xx and 304), e.g. "HTTP 404 Not Found"."""
    if 200 <= status < 300 or status == 304:
        return None
    # Python's table knows 451 Unavailable For Legal Reasons, which matters here; Twisted's does not.
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
    text = f"HTTP {status} {phrase}".rstrip()
    if 300 <= status < 400:
        # Only reached when the redirect middleware declined: no Location, or a non-http(s) target.
        return f"{text} (redirect not followed)"
    return text


def from_response(response: Response, url: str, source: str | None = None) -> FetchResult:
    """A FetchResult for a response of any status; ``url`` is the URL that was asked for."""
    return FetchResult(
        url=url,
        final_url=response.url,
        status=response.status,
        headers=_headers(response),
        body=response.body,
        fetched_at=datetime.now(UTC),
        error=http_error(response.status),
        not_modified=response.status == 304,
        source=source,
    )


def _inner(exc: BaseException) -> list[BaseException]:
    """The exceptions ``exc`` wraps: Scrapy re-raises Twisted's ``ResponseFailed`` as
    ``DownloadFailedError(str(e)) from e``, and ``ResponseFailed.reasons`` lists Failures."""
    reasons = getattr(exc, "reasons", None)
    if reasons:
        return [getattr(r, "value", r) for r in reasons]
    return [exc.__cause__] if exc.__cause__ is not None else []


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and everything it wraps, depth first."""
    found = [exc]
    for inner in _inner(exc):
        found += _causes(inner)
    return found


def _message(exc: BaseException) -> str:
    """Readable text of ``exc``: the innermost causes' messages rather than a list of Failure reprs."""
    inner = _inner(exc)
    if inner:
        return "; ".join(_message(e) for e in inner)
    return str(exc).strip() or type(exc).__name__


def describe_failure(exc: BaseException, timeout: float | None = None, max_bytes: int | None = None) -> str:
    """A short human description of why a request produced no response."""
    message = _message(exc)
    if isinstance(exc, CrawlDeadlineExceeded):
        return message
    if isinstance(exc, IgnoreRequest):
        message = str(exc).strip()  # its own words; what it was raised from is detail
        if "robots.txt" in message:
            return "blocked by robots.txt"
        if "redirections" in message:
            return "too many redirects"
        if "DOWNLOAD_MAXSIZE" in message:  # HttpCompressionMiddleware: a small body that inflates
            return f"response too large after decompression (over {max_bytes} bytes)"
        return f"request dropped: {message}" if message else "request dropped"
    if isinstance(exc, CannotResolveHostError | net_error.DNSLookupError):
        detail = message.removeprefix("DNS lookup failed").strip(" :")
        return f"DNS lookup failed: {detail}" if detail else "DNS lookup failed"
    if isinstance(exc, DownloadTimeoutError | net_error.TimeoutError):
        return f"timed out after {timeout:g}s" if timeout else "timed out"
    if isinstance(exc, DownloadConnectionRefusedError | net_error.ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, DownloadCancelledError):
        # Scrapy cancels a download only for DOWNLOAD_MAXSIZE: by Content-Length (with a message)
        # or while streaming (without one).
        if "max size" in message:
            return f"response too large: {message.split(' in request ')[0]}"
        return f"response too large (over {max_bytes} bytes)" if max_bytes else "download cancelled"
    if isinstance(exc, ResponseDataLossError):
        return "connection lost mid-response (truncated body)"
    if isinstance(exc, UnsupportedURLSchemeError | NotSupported):
        return f"unsupported URL scheme: {message}"
    if _is_tls(exc):
        return f"TLS error: {_tls_text(exc)}"
    if any(isinstance(e, net_error.ConnectionDone | net_error.ConnectionLost) for e in _causes(exc)):
        return "connection closed before a complete response"
    if isinstance(exc, DownloadFailedError | net_error.ConnectError | net_error.ConnectionLost):
        return f"connection failed: {message}" if message else "connection failed"
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _is_tls(exc: BaseException) -> bool:
    """True if a TLS failure (pyOpenSSL's or the ssl module's) is anywhere among ``exc``'s causes."""
    return any(type(e).__module__.startswith(("OpenSSL", "ssl")) for e in _causes(exc))


def _tls_text(exc: BaseException) -> str:
    """pyOpenSSL errors carry [(library, function, reason), ...]: the reasons are what a human wants."""
    if type(exc).__module__.startswith("OpenSSL") and exc.args and isinstance(exc.args[0], list):
        reasons = [str(item[-1]) for item in exc.args[0] if isinstance(item, tuple) and item]
        if reasons:
            return "; ".join(reasons)
    inner = _inner(exc)
    return "; ".join(_tls_text(e) for e in inner) if inner else (str(exc) or type(exc).__name__)


def from_failure(
    failure: Failure,
    url: str,
    source: str | None = None,
    timeout: float | None = None,
    max_bytes: int | None = None,
) -> FetchResult:
    """A FetchResult for a request that got no usable response."""
    request: Request | None = getattr(failure, "request", None)
    return FetchResult(
        url=url,
        final_url=request.url if request is not None else url,
        status=None,
        headers={},
        body=b"",
        fetched_at=datetime.now(UTC),
        error=describe_failure(failure.value, timeout, max_bytes),
        source=source,
    )


def invalid_url(url: str, reason: str) -> FetchResult:
    """A FetchResult for a URL that could not even become a request."""
    return FetchResult(
        url=url,
        final_url=url,
        status=None,
        headers={},
        body=b"",
        fetched_at=datetime.now(UTC),
        error=f"invalid URL: {reason}",
    )
