"""The e-mail channel: one report e-mail per meeting per recipient, over SMTP.

Only ``report.ready`` goes out by e-mail (never a chunk's draft, never ``meeting.finished``):
the meeting's ``recipients`` each get one message, ``multipart/alternative`` with a plain
text and an HTML part, its subject and text in the meeting's language (Russian «Отчёт по
встрече …», English "Interview report …"). What the two parts say comes from a
``ReportRenderer``: ``minimal_report`` here works from the notice alone; ``ops/`` passes the
report page (``projections/report_page.py``) instead, which this layer may not import.

Sending uses the standard library's ``smtplib`` in a worker thread: one connection per
message is plenty for one e-mail per recipient per meeting, and it adds no dependency.
SMTP replies map to the channel contract: 4xx (and a dropped connection or a timeout) is
transient and retried, 5xx permanent; an address that is not an e-mail address is
permanent without a connection.

Must not: decide retries or record attempts (the notifier does), or read the environment.
"""

from __future__ import annotations

import asyncio
import html
import re
import smtplib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from interview_analytics.streams.delivery.channels import (
    CHANNEL_EMAIL,
    NOTICE_REPORT_READY,
    AttemptResult,
    Delivery,
    Notice,
    RetryPolicy,
)

# Deliberately simple: one @, no spaces, a dot in the domain. Anything stranger is refused
# up front rather than handed to a server that may bounce it hours later.
_ADDRESS = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+\.[^@\s<>(),;:\"\[\]]+$")

SUBJECTS = {"ru": "Отчёт по встрече {meeting_id}", "en": "Interview report {meeting_id}"}
"""The subject per language; other languages get the English one."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str
    password: str
    sender: str
    starttls: bool
    timeout_sec: float


@dataclass(frozen=True)
class RenderedReport:
    text: str
    html: str


ReportRenderer = Callable[[Notice], Awaitable[RenderedReport]]
"""What an e-mail says about a notice: its plain-text and HTML bodies."""


def is_email_address(address: str) -> bool:
    return bool(_ADDRESS.match(address)) and len(address) <= 254


def subject_of(notice: Notice) -> str:
    template = SUBJECTS.get(notice.language, SUBJECTS["en"])
    return template.format(meeting_id=notice.meeting_id)


def compose_email(
    notice: Notice, recipient: str, sender: str, body: RenderedReport
) -> EmailMessage:
    """The message for one recipient: plain text first, HTML as the preferred alternative."""
    message = EmailMessage()
    message["Subject"] = subject_of(notice)
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = formatdate(notice.occurred_at.timestamp(), usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["Content-Language"] = notice.language
    message.set_content(body.text)
    message.add_alternative(body.html, subtype="html")
    return message


async def minimal_report(notice: Notice) -> RenderedReport:
    """A short report from the notice's data alone: the summary, scores and next steps."""
    report: Mapping[str, Any] = notice.data.get("report") or {}
    russian = notice.language == "ru"
    lines = [subject_of(notice), ""]
    summary = report.get("summary")
    if summary:
        lines += [str(summary), ""]
    competencies = report.get("competencies") or []
    if competencies:
        lines.append("Компетенции:" if russian else "Competencies:")
        for competency in competencies:
            if isinstance(competency, Mapping):
                lines.append(f"- {competency.get('name', '?')}: {competency.get('score', '?')}")
        lines.append("")
    steps = report.get("next_steps") or report.get("recommendations") or []
    if steps:
        lines.append("Следующие шаги:" if russian else "Next steps:")
        lines += [f"- {step}" for step in steps]
    text = "\n".join(lines).rstrip() + "\n"
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in lines if line)
    language = html.escape(notice.language)
    page = f'<!doctype html><html lang="{language}"><body>{paragraphs}</body></html>'
    return RenderedReport(text=text, html=page)


class EmailChannel:
    """The ``email`` channel (``channels.Channel``)."""

    name = CHANNEL_EMAIL

    def __init__(
        self, smtp: SmtpSettings, retry: RetryPolicy, render: ReportRenderer = minimal_report
    ) -> None:
        self.smtp = smtp
        self.retry = retry
        self.render = render

    async def targets(self, notice: Notice) -> Sequence[str]:
        """Every recipient of the meeting, once each, for ``report.ready`` only."""
        if notice.event != NOTICE_REPORT_READY:
            return []
        return list(dict.fromkeys(r.strip() for r in notice.recipients if r.strip()))

    async def send(self, delivery: Delivery) -> AttemptResult:
        if not is_email_address(delivery.target):
            return AttemptResult(delivered=False, permanent=True, error="not an e-mail address")
        body = await self.render(delivery.notice)
        message = compose_email(delivery.notice, delivery.target, self.smtp.sender, body)
        message["X-Delivery-Id"] = delivery.delivery_id
        return await asyncio.to_thread(self._send, message, delivery.target)

    def _send(self, message: EmailMessage, recipient: str) -> AttemptResult:
        smtp = self.smtp
        try:
            with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_sec) as client:
                if smtp.starttls:
                    client.starttls()
                if smtp.user:
                    client.login(smtp.user, smtp.password)
                client.send_message(message, from_addr=smtp.sender, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()), (None, b""))
            return _refused(code, reply)
        except smtplib.SMTPResponseException as error:
            return _refused(error.smtp_code, error.smtp_error)
        except (OSError, smtplib.SMTPException) as error:
            # Connection refused or dropped, timeout, no STARTTLS: the server may be back.
            return AttemptResult(delivered=False, error=f"{type(error).__name__}: {error}"[:500])
        return AttemptResult(delivered=True, status_code=250)


def _refused(code: int | None, reply: bytes | str) -> AttemptResult:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    permanent = code is not None and 500 <= code < 600
    return AttemptResult(
        delivered=False, permanent=permanent, status_code=code, error=f"{code} {text}"[:500]
    )
