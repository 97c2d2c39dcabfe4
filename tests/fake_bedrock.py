"""A local fake of Bedrock Runtime's Converse API (POST /model/{modelId}/converse).

Scripted: each request pops the next `Reply` (status, body, delay). Requests are recorded.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import pytest

from command_center.settings import Settings, get_settings


@dataclass
class Reply:
    """One scripted HTTP answer."""

    status: int = 200
    body: dict[str, Any] = field(default_factory=dict)
    delay: float = 0.0
    error_type: str | None = None


def tool_reply(name: str, tool_input: dict[str, Any]) -> Reply:
    """A successful Converse response calling tool `name` with `tool_input`."""
    return Reply(body={
        "output": {"message": {"role": "assistant", "content": [
            {"toolUse": {"toolUseId": "tooluse_1", "name": name, "input": tool_input}},
        ]}},
        "stopReason": "tool_use",
        "usage": {"inputTokens": 10, "outputTokens": 20, "totalTokens": 30},
        "metrics": {"latencyMs": 5},
    })  # fmt: skip


def error_reply(status: int, error_type: str, message: str = "scripted") -> Reply:
    """An AWS JSON error (e.g. 429 ThrottlingException, 403 AccessDeniedException)."""
    return Reply(status=status, body={"message": message}, error_type=error_type)


class FakeBedrock:
    """The server: `start()` on a free 127.0.0.1 port, `script(...)`, `stop()`."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                path = unquote(self.path)
                if not (path.startswith("/model/") and path.endswith("/converse")):
                    self._send(Reply(404, {"message": f"no route {path}"}, 0, "UnknownOperation"))
                    return
                model_id = path[len("/model/") : -len("/converse")]
                with fake._lock:
                    fake.requests.append({"model_id": model_id, "body": body})
                    reply = fake.replies.pop(0) if fake.replies else Reply(
                        500, {"message": "script exhausted"}, 0, "InternalServerException"
                    )  # fmt: skip
                if reply.delay:
                    time.sleep(reply.delay)
                self._send(reply)

            def _send(self, reply: Reply) -> None:
                payload = json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    if reply.error_type:
                        self.send_header("x-amzn-ErrorType", reply.error_type)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and hung up

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        """The endpoint URL to give boto3."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, *replies: Reply) -> None:
        """Queue replies, answered in order."""
        with self._lock:
            self.replies.extend(replies)

    def start(self) -> FakeBedrock:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Shut the server down."""
        self.server.shutdown()
        self.server.server_close()


def use_fake_bedrock(
    monkeypatch: pytest.MonkeyPatch, fake: FakeBedrock, *, live: bool = True, **env: str
) -> Settings:
    """Point boto3 at `fake` with static dummy credentials (no session token or profile from
    the host), BUILDER_MODE=live unless `live` is False, plus `env` (e.g. LLM_MAX_RETRIES="0");
    returns the fresh settings."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("BEDROCK_ENDPOINT_URL", fake.url)
    if live:
        monkeypatch.setenv("BUILDER_MODE", "live")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    return get_settings()
