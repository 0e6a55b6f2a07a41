"""The optional LLM narrative against a local OpenAI-compatible test double."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from interview_analytics.streams.narrative import NarratorSettings, OpenAINarrator, enrich

REPORT = {"summary": "s", "bullets": ["b"], "risk_flags": [], "recommendation": "r", "final": True}


class FakeChatCompletions(BaseHTTPRequestHandler):
    """Test double of an OpenAI-compatible /chat/completions endpoint."""

    requests: list[dict[str, Any]] = []
    status = 200

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), **body}
        )
        reply = {"choices": [{"message": {"role": "assistant", "content": " A calm interview. "}}]}
        data = json.dumps(reply).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[str]:
    FakeChatCompletions.requests = []
    FakeChatCompletions.status = 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeChatCompletions)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


async def test_the_narrative_is_added_beside_the_deterministic_report(endpoint: str) -> None:
    narrator = OpenAINarrator(NarratorSettings(endpoint, "key-1", "local-model", 5))
    enriched = await enrich(narrator, REPORT, "Interviewer: Hello.", "en")
    assert enriched["narrative"]["text"] == "A calm interview."
    assert {k: enriched[k] for k in REPORT} == REPORT
    [request] = FakeChatCompletions.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer key-1"
    assert request["model"] == "local-model"
    assert "Interviewer: Hello." in request["messages"][1]["content"]


async def test_a_failing_endpoint_never_loses_the_report(endpoint: str) -> None:
    FakeChatCompletions.status = 503
    narrator = OpenAINarrator(NarratorSettings(endpoint, "", "m", 5))
    enriched = await enrich(narrator, REPORT, "text", "ru")
    assert "narrative" not in enriched
    assert "503" in enriched["narrative_error"]
    assert {k: enriched[k] for k in REPORT} == REPORT
