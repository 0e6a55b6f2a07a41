"""What the SberJazz client sends, seen through httpx's mock transport (a test double)."""

from __future__ import annotations

import httpx

from interview_analytics.connectors.sberjazz.client import SberJazzClient, SberJazzConfig


async def _authorization_sent(token: str) -> str | None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"status": "ok"})

    config = SberJazzConfig("http://platform.test", token, retries=0)
    async with SberJazzClient(config, transport=httpx.MockTransport(answer)) as client:
        assert (await client.health()).healthy
    return seen[0].headers.get("authorization")


async def test_a_token_is_sent_as_bearer() -> None:
    assert await _authorization_sent("secret-token") == "Bearer secret-token"


async def test_no_token_sends_no_authorization_header() -> None:
    # "Bearer " alone is an illegal header value: every call would fail as unavailable.
    assert await _authorization_sent("") is None
