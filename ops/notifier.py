"""The notifier worker (``ia worker notifier``) and the delivery channels it is built with.

``build_channels`` is the one list of channels: e-mail when ``SMTP_HOST`` is set (its HTML
part is the report page of ``projections/report_page.py``), webhooks always (they post
only to the endpoints a tenant registered), and each further channel is one line there.
The same list serves the worker and ``ia dead-letters redrive``.

Must not: deliver anything itself (the channels do), or decide retries (the notifier does).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from interview_analytics.domain.meeting import Meeting
from interview_analytics.domain.webhooks import WebhookEndpoint
from interview_analytics.ops.metrics import WorkerMetrics
from interview_analytics.ops.settings import Settings
from interview_analytics.ops.wiring import build_meetings, event_codec
from interview_analytics.ops.workers import LAG_SAMPLE_INTERVAL_SEC, faust_settings, run_faust_app
from interview_analytics.projections.report_page import ReportPage, render_html, render_markdown
from interview_analytics.streams.app import FaustDeadLetterSink, create_app
from interview_analytics.streams.contract.groups import NOTIFIER, group_of
from interview_analytics.streams.contract.topics import MEETING_EVENTS
from interview_analytics.streams.dead_letters import DeadLetterSink
from interview_analytics.streams.delivery.channels import Channel, Notice, RetryPolicy
from interview_analytics.streams.delivery.email import (
    EmailChannel,
    RenderedReport,
    ReportRenderer,
    SmtpSettings,
    minimal_report,
)
from interview_analytics.streams.delivery.notifier import Notifier, install_notifier
from interview_analytics.streams.delivery.webhook import WebhookChannel, WebhookSettings
from interview_analytics.streams.pipeline import MeetingsGateway

log = logging.getLogger(__name__)


def build_channels(settings: Settings, gateway: MeetingsGateway) -> list[Channel]:
    """Every delivery channel that is configured, in the order notices go out."""
    channels: list[Channel] = []
    if settings.smtp_host:
        channels.append(email_channel(settings, gateway))
    channels.append(webhook_channel(settings, gateway))  # posts only to registered endpoints
    # Further channels are one line each here.
    return channels


def email_channel(settings: Settings, gateway: MeetingsGateway) -> EmailChannel:
    smtp = settings.section(
        SmtpSettings, "smtp_", password=str(settings.smtp_pass), sender=settings.smtp_from
    )
    retry = settings.section(RetryPolicy, "email_retry_")
    return EmailChannel(smtp, retry, render=report_page_renderer(gateway))


def webhook_channel(settings: Settings, gateway: MeetingsGateway) -> WebhookChannel:
    """Signed POSTs to the endpoints each tenant registered (``/v1/webhooks``)."""

    async def endpoints(tenant: str | None) -> Sequence[WebhookEndpoint]:
        return await gateway.call(gateway.meetings.webhook_endpoints, tenant)

    webhook = settings.section(WebhookSettings, "webhook_")
    return WebhookChannel(endpoints, settings.section(RetryPolicy, "webhook_retry_"), webhook)


def report_page_renderer(gateway: MeetingsGateway) -> ReportRenderer:
    """The e-mail body: the report page of the meeting (Markdown as the plain-text part)."""

    def render(meeting: Meeting) -> RenderedReport:
        page = ReportPage.from_meeting(meeting)
        return RenderedReport(text=render_markdown(page), html=render_html(page))

    async def renderer(notice: Notice) -> RenderedReport:
        meeting = await gateway.call(gateway.meetings.get, notice.meeting_id)
        if meeting.latest_report() is None:
            return await minimal_report(notice)
        return await gateway.call(render, meeting)

    return renderer


def build_notifier(
    settings: Settings, gateway: MeetingsGateway, dead_letters: DeadLetterSink
) -> Notifier:
    codec = event_codec(gateway.meetings)
    return Notifier(gateway, build_channels(settings, gateway), dead_letters, codec)


def run_notifier(settings: Settings, bootstrap_servers: str) -> None:
    """Run the notifier until it is told to stop (blocks; Faust handles the signals)."""
    meetings = build_meetings(settings)
    gateway = MeetingsGateway(meetings)
    app = create_app(NOTIFIER, faust_settings(settings, bootstrap_servers))
    notifier = build_notifier(settings, gateway, FaustDeadLetterSink(app))
    install_notifier(app, notifier)
    metrics = WorkerMetrics(NOTIFIER)

    async def sample_lag() -> None:
        head = await gateway.call(meetings.recorder.max_notification_id) or 0
        metrics.observe_lag(head, notifier.stats.last_notification_id)

    app.timer(interval=LAG_SAMPLE_INTERVAL_SEC)(sample_lag)
    if settings.notifier_metrics_port:
        metrics.serve(settings.notifier_metrics_port)
    channels = ", ".join(notifier.channels) or "none configured (SMTP_HOST, …)"
    announce = (
        f"[{NOTIFIER}] consuming {MEETING_EVENTS} as group {group_of(NOTIFIER)}; "
        f"channels: {channels}"
    )
    run_faust_app(app, settings, announce, gateway.close, meetings.close)
