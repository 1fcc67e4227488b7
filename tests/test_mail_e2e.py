"""A whole check delivering through real SMTP: STARTTLS + AUTH, the password only in the environment.

The SMTP server runs on this test's event loop while ``press-monitor check --once`` runs as a child
process (awaited with asyncio, so the server keeps answering).
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path

import pytest
from cli_helpers import REPO, put, watchlist
from mockserver import MockServer
from smtp_server import SmtpTestServer

BEFORE = (REPO / "seeds" / "site" / "index.html").read_text(encoding="utf-8")
HOSTILE = BEFORE.replace(
    "</article>",
    '</article><div class="fa-disclaimer">ДАННОЕ СООБЩЕНИЕ (МАТЕРИАЛ) СОЗДАНО И (ИЛИ) РАСПРОСТРАНЕНО ИНОСТРАННЫМ '
    "СРЕДСТВОМ МАССОВОЙ ИНФОРМАЦИИ, ВЫПОЛНЯЮЩИМ ФУНКЦИИ ИНОСТРАННОГО АГЕНТА "
    "&lt;script&gt;alert(1)&lt;/script&gt;</div>",
)
PASSWORD = "correct horse battery staple"


async def check(config: Path, env: dict[str, str]) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor", "check", "--once", "--config", str(config),
        cwd=REPO, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=120)
    return proc.returncode or 0, out.decode()


@pytest.mark.asyncio
async def test_alert_arrives_over_starttls_with_auth_and_hostile_text_escaped(
    tmp_path: Path, mockserver: MockServer
) -> None:
    url = mockserver.url(f"/mutable/{uuid.uuid4().hex}")
    async with SmtpTestServer(starttls=True, auth=("monitor", PASSWORD), workdir=tmp_path) as smtp:
        config = watchlist(
            tmp_path,
            f"  - name: Вестник\n    homepage: {url}\n    pages: [{url}]\n",
            extra=(
                "detection: {confirmations: 1}\n"
                "subscribers: [{email: desk@example.org}]\n"
                f"mail:\n  from: monitor@example.org\n  smtp: {{host: 127.0.0.1, port: {smtp.port}, "
                f"security: starttls, username: monitor, password_env: TEST_SMTP_PASSWORD, ca_file: {smtp.ca_file}}}\n"
            ),
        )
        env = {**os.environ, "TEST_SMTP_PASSWORD": PASSWORD}
        put(url, BEFORE)
        assert (await check(config, env))[0] == 0
        put(url, HOSTILE)
        code, out = await check(config, env)
        assert code == 0, out
        message = await smtp.next_message()

    assert PASSWORD not in out
    assert message["To"] == "desk@example.org"
    assert message["Message-ID"]
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert "ИНОСТРАННОГО АГЕНТА" in html
    assert "ИНОСТРАННОГО АГЕНТА" in text
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert not list((tmp_path / "outbox").glob("*.eml")), "with SMTP configured nothing goes to the outbox"


@pytest.mark.asyncio
async def test_missing_password_variable_is_a_clear_error(tmp_path: Path, mockserver: MockServer) -> None:
    url = mockserver.url(f"/mutable/{uuid.uuid4().hex}")
    config = watchlist(
        tmp_path,
        f"  - name: A\n    homepage: {url}\n",
        extra="mail:\n  smtp: {host: 127.0.0.1, port: 1, username: u, password_env: NOT_SET_ANYWHERE}\n",
    )
    env = {k: v for k, v in os.environ.items() if k != "NOT_SET_ANYWHERE"}
    code, out = await check(config, env)
    assert code == 2
    assert "NOT_SET_ANYWHERE" in out
