"""Mailing a report: plain text with the HTML page as the alternative, over STARTTLS or TLS.

The server comes from `reports.smtp_url`; a user name and password, when the server wants them, from
CONSENTKIT_SMTP_USERNAME and CONSENTKIT_SMTP_PASSWORD, so that no secret sits in a configuration
file. Nothing is sent in the clear: `smtp://` must offer STARTTLS, and the server's certificate is
verified against the system's trusted certificates (SSL_CERT_FILE names others).
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

from consentkit.review.report import Report
from consentkit.review.report_format import html_page, text

USERNAME_VAR = "CONSENTKIT_SMTP_USERNAME"
PASSWORD_VAR = "CONSENTKIT_SMTP_PASSWORD"


class MailError(Exception):
    """The report could not be sent (the message names why)."""


def report_message(report: Report, to: Sequence[str], sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = f"consentkit report {report.first_day} to {report.last_day}"
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    msg.set_content(text(report))
    msg.add_alternative(html_page(report), subtype="html")
    return msg


def send_report(
    report: Report, to: Sequence[str], smtp_url: str, sender: str, *, env: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> None:
    """Send `report` to the addresses `to`; raises MailError."""
    env = os.environ if env is None else env
    if not to:
        raise MailError("no recipient given")
    if any("\n" in a or "\r" in a or "@" not in a for a in to):
        raise MailError(f"not an e-mail address: {next(a for a in to if '@' not in a or chr(10) in a)!r}")
    parts = urlsplit(smtp_url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise MailError(f"reports.smtp_url: {smtp_url!r} is not smtp://HOST[:PORT] or smtps://HOST[:PORT]")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 587)
    except ValueError:
        raise MailError(f"reports.smtp_url: bad port in {smtp_url!r}") from None
    context = ssl.create_default_context()
    user, password = env.get(USERNAME_VAR), env.get(PASSWORD_VAR)
    message = report_message(report, to, sender)
    try:
        server: smtplib.SMTP
        if parts.scheme == "smtps":
            server = smtplib.SMTP_SSL(parts.hostname, port, timeout=timeout, context=context)
        else:
            server = smtplib.SMTP(parts.hostname, port, timeout=timeout)
        with server:
            if parts.scheme == "smtp":
                server.ehlo()
                if not server.has_extn("starttls"):
                    raise MailError(f"{parts.hostname}:{port} does not offer STARTTLS; the report is not sent "
                                    "in the clear")
                server.starttls(context=context)
                server.ehlo()
            if user:
                server.login(user, password or "")
            server.send_message(message)
    except MailError:
        raise
    except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
        raise MailError(f"could not send the report through {parts.hostname}:{port}: {exc}") from None
