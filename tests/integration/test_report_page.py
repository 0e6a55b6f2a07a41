"""The report page over HTTP: ``GET /v1/meetings/{id}/report.html`` and ``…/report.md``.

The app is the real front door (SQLite event store, chDB read model, the real renderer);
the meetings' results are recorded as the pipeline would record them
(``tests/report_pages.py``). ``TestInABrowser`` opens the page served by a real uvicorn
server in the system's headless Chromium (Debian ``chromium``, driven by Playwright; no
browser is downloaded) and checks that it has no console or page errors and that both SVG
charts are drawn with a size.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from interview_analytics.projections.report_page import CHART_WIDTH
from tests.api_schemas import assert_error
from tests.api_stack import TENANT_A, TENANT_B, USER, ApiHarness, ServerThread, bearer
from tests.factories import start, unique_meeting_id
from tests.report_pages import ENGLISH, RUSSIAN, record_interview

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
async def client(api: ApiHarness) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=api.app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api", headers=bearer(USER)
    ) as http:
        yield http


def interview(
    api: ApiHarness, turns: list[Any], language: str, *, tenant: str | None = None
) -> str:
    meeting_id = unique_meeting_id()
    api.meetings.start(start(meeting_id, language=language, tenant=tenant))
    record_interview(api.meetings, meeting_id, turns, language=language)
    return meeting_id


async def test_the_html_page_of_a_russian_meeting(
    api: ApiHarness, client: httpx.AsyncClient
) -> None:
    meeting_id = interview(api, RUSSIAN, "ru")
    api.project()
    response = await client.get(f"/v1/meetings/{meeting_id}/report.html")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src" not in response.headers["content-security-policy"]
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    page = response.text
    assert page.startswith("<!DOCTYPE html>")
    assert meeting_id in page
    assert "Отчёт по интервью" in page
    assert 'class="talk-chart"' in page
    assert 'class="timeline-chart"' in page
    assert "Работали ли вы с Kafka?" in page


async def test_the_markdown_page_of_an_english_meeting(
    api: ApiHarness, client: httpx.AsyncClient
) -> None:
    meeting_id = interview(api, ENGLISH, "en")
    api.project()
    response = await client.get(f"/v1/meetings/{meeting_id}/report.md")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert response.text.startswith("# Interview report\n")
    assert f"`{meeting_id}`" in response.text
    assert "`0:26` **Interviewer**: How did you test it?" in response.text


async def test_a_report_the_read_model_lacks_comes_from_the_event_store(
    api: ApiHarness, client: httpx.AsyncClient
) -> None:
    meeting_id = interview(api, ENGLISH, "en")  # not projected
    response = await client.get(f"/v1/meetings/{meeting_id}/report.html")
    assert response.status_code == 200, response.text
    assert "Interview report" in response.text


async def test_unknown_meeting_is_404_and_no_report_yet_is_409(
    api: ApiHarness, client: httpx.AsyncClient
) -> None:
    for suffix in ("report.html", "report.md"):
        missing = await client.get(f"/v1/meetings/{unique_meeting_id()}/{suffix}")
        assert missing.status_code == 404
        assert_error(missing.json(), "meeting_not_found")
    meeting_id = unique_meeting_id()
    api.meetings.start(start(meeting_id, language="ru"))
    api.project()
    for suffix in ("report.html", "report.md"):
        early = await client.get(f"/v1/meetings/{meeting_id}/{suffix}")
        assert early.status_code == 409
        assert_error(early.json(), "report_not_ready")
        assert early.json()["detail"]["details"]["meeting_id"] == meeting_id


async def test_the_page_is_scoped_like_the_meeting(
    api: ApiHarness, client: httpx.AsyncClient
) -> None:
    meeting_id = interview(api, RUSSIAN, "ru", tenant="a")
    api.project()
    path = f"/v1/meetings/{meeting_id}/report.html"
    assert (await client.get(path, headers=bearer(TENANT_A))).status_code == 200
    other = await client.get(path, headers=bearer(TENANT_B))
    assert other.status_code == 404
    assert_error(other.json(), "meeting_not_found")
    anonymous = await client.get(path, headers={"Authorization": ""})
    assert anonymous.status_code == 401
    bad_id = await client.get("/v1/meetings/%2E%2E/report.md")
    assert bad_id.status_code in {404, 422}


@pytest.mark.skipif(
    shutil.which("chromium") is None,
    reason="Debian chromium is not installed (make system-deps installs it)",
)
class TestInABrowser:
    def test_the_page_renders_without_errors_and_draws_both_charts(self, api: ApiHarness) -> None:
        from playwright.sync_api import sync_playwright

        meeting_id = interview(api, RUSSIAN, "ru")
        api.project()
        errors: list[str] = []
        with ServerThread(api.app) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
            try:
                context = browser.new_context(extra_http_headers=bearer(USER))
                page = context.new_page()
                page.on(
                    "console",
                    lambda message: (
                        errors.append(f"console {message.type}: {message.text}")
                        if message.type in {"error", "warning"}
                        else None
                    ),
                )
                page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
                response = page.goto(f"{server.base_url}/v1/meetings/{meeting_id}/report.html")
                assert response is not None
                assert response.status == 200
                page.wait_for_load_state("load")
                assert page.title().startswith("Отчёт по интервью")
                boxes = {}
                for chart in ("talk-chart", "timeline-chart"):
                    box = page.locator(f"svg.{chart}").bounding_box()
                    assert box is not None, chart
                    boxes[chart] = box
                    assert box["width"] > 0
                    assert box["height"] > 0
                    rects = page.locator(f"svg.{chart} rect")
                    assert rects.count() > 0
                    for index in range(rects.count()):
                        rect = rects.nth(index).bounding_box()
                        assert rect is not None
                        assert rect["width"] > 0
                        assert rect["height"] > 0
                # The talk bars fill the chart: their drawn widths add up to its width.
                drawn = page.eval_on_selector_all(
                    "svg.talk-chart rect", "rs => rs.map(r => r.getBoundingClientRect().width)"
                )
                scale = boxes["talk-chart"]["width"] / CHART_WIDTH
                assert sum(drawn) == pytest.approx(CHART_WIDTH * scale, rel=0.01)
                assert page.locator("script").count() == 0
            finally:
                browser.close()
        assert errors == []
