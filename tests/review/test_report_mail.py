"""`consentkit report --email`: a real SMTP server (aiosmtpd) on a local port, with STARTTLS and a
login that it only accepts over TLS; the client verifies the server's certificate."""

from __future__ import annotations

import email
import ssl
import subprocess
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from consentkit import cli
from consentkit.storage import open_store
from rollup_data import traffic
from servers import free_port

from conftest import SECRET

USER, PASSWORD = "reports", "s3cret-for-tests"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.tls: list[bool] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.tls.append(session.ssl is not None)
        return "250 OK"


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return cert, key


@pytest.fixture
def smtp_server(certificate: tuple[Path, Path]) -> Iterator[tuple[Inbox, int]]:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                            authenticator=authenticator, auth_required=True)
    controller.start()
    yield inbox, port
    controller.stop()


def site(tmp_path: Path, port: int) -> list[str]:
    url = f"sqlite:///{tmp_path / 'ck.db'}"
    store = open_store(url)
    traffic(store)
    store.close()
    config = tmp_path / "consentkit.toml"
    config.write_text(f'secret_keys = ["{SECRET}"]\nstorage_url = "{url}"\n'
                      f'[reports]\nsmtp_url = "smtp://localhost:{port}"\nmail_from = "privacy@example.org"\n')
    return ["--config", str(config), "--since", "2026-03-02", "--until", "2026-03-03", "--min-visitors", "1"]


def test_the_report_is_mailed_over_starttls_with_the_login_from_the_environment(
    tmp_path: Path, smtp_server: tuple[Inbox, int], certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    inbox, port = smtp_server
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # the test server's certificate is trusted
    monkeypatch.setenv("CONSENTKIT_SMTP_USERNAME", USER)
    monkeypatch.setenv("CONSENTKIT_SMTP_PASSWORD", PASSWORD)
    args = site(tmp_path, port)
    assert cli.main(["report", *args, "--email", "dpo@example.org", "--email", "team@example.org"]) == 0
    assert "sent to dpo@example.org, team@example.org" in capsys.readouterr().err
    assert inbox.tls == [True]
    assert inbox.envelopes == [("privacy@example.org", ["dpo@example.org", "team@example.org"])]
    msg = inbox.messages[0]
    assert msg["Subject"] == "consentkit report 2026-03-02 to 2026-03-03"
    parts = {p.get_content_type(): p.get_payload(decode=True).decode() for p in msg.walk() if not p.is_multipart()}
    assert "/pricing" in parts["text/plain"] and "<svg" in parts["text/html"]
    assert "<script>" not in parts["text/html"]


def test_a_wrong_password_or_an_untrusted_server_is_an_error_and_nothing_is_sent(
    tmp_path: Path, smtp_server: tuple[Inbox, int], certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    inbox, port = smtp_server
    args = site(tmp_path, port)
    monkeypatch.setenv("CONSENTKIT_SMTP_USERNAME", USER)
    monkeypatch.setenv("CONSENTKIT_SMTP_PASSWORD", "wrong")
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "none.pem"))  # the server's certificate is not trusted
    assert cli.main(["report", *args, "--email", "dpo@example.org"]) == 1
    assert "certificate" in capsys.readouterr().err.lower()
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    assert cli.main(["report", *args, "--email", "dpo@example.org"]) == 1
    assert "could not send the report" in capsys.readouterr().err
    assert inbox.messages == []
