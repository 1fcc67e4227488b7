"""Verified TLS for registry hosts: trust the system's CAs, or only a given CA bundle.

Scrapy does not verify certificates by default, and some official hosts (reestrs.minjust.gov.ru)
present chains that common trust stores do not complete (the Russian Trusted Root CA, or a missing
intermediate). The answer is never to switch verification off but to name the CA bundle that does
verify them: ``registries[].ca_file`` in config.yaml. ``monitor.crawl.build_settings`` mounts this
handler for ``https`` when ``FetchSettings.verify_tls`` or ``ca_file`` is set (one crawl per bundle).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from twisted.internet.ssl import Certificate, optionsForClientTLS, platformTrust, trustRootFromCertificates
from twisted.web.iweb import IPolicyForHTTPS
from zope.interface import implementer

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)


def load_bundle(path: str | Path) -> list[Certificate]:
    """Every certificate in a PEM bundle; ValueError when there is none (a wrong file must not trust nothing)."""
    data = Path(path).read_bytes()
    certificates = [Certificate.loadPEM(block) for block in _PEM.findall(data)]
    if not certificates:
        raise ValueError(f"{path}: no PEM certificate found")
    return certificates


@implementer(IPolicyForHTTPS)
class VerifyingPolicy:
    """Check the server's chain and host name against ``ca_file`` (if given) or the platform trust store."""

    def __init__(self, ca_file: str | None = None) -> None:
        self.trust_root = trustRootFromCertificates(load_bundle(ca_file)) if ca_file else platformTrust()

    def creatorForNetloc(self, hostname: bytes, port: int) -> Any:  # name fixed by IPolicyForHTTPS
        return optionsForClientTLS(hostname.decode("ascii"), trustRoot=self.trust_root)


class VerifyingHTTPSHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler with a verifying TLS policy (setting ``TLS_CA_FILE``: the bundle or None)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        # Scrapy builds its non-verifying factory in __init__; replace it before any connection is made.
        self._contextFactory = VerifyingPolicy(crawler.settings.get("TLS_CA_FILE"))
