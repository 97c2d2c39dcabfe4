"""`Content-Security-Policy: frame-src 'self'` on every response of the app.

Custom widgets run in `<iframe sandbox="allow-scripts">`; a sandboxed frame may still
navigate itself (`location.href = …`), which would send a request anywhere. The embedding
page's frame-src is enforced on every navigation of its frames, so with this header a
widget's frame can only ever load the app's own URLs. Nothing else on the page is framed.
"""

from __future__ import annotations

from typing import Any

FRAME_POLICY = b"frame-src 'self'"


class FramePolicyMiddleware:
    """Pure ASGI: add the frame policy to HTTP responses that carry no CSP of their own."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return

        async def with_policy(message: dict) -> None:
            if message.get("type") == "http.response.start":
                headers = list(message.get("headers") or [])
                if not any(name.lower() == b"content-security-policy" for name, _ in headers):
                    headers.append((b"content-security-policy", FRAME_POLICY))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_policy)
