"""An ASGI middleware in front of the gradio server, for a link strangers use.

- Request bodies (API calls, queue joins) larger than the body limit are refused with 413 and one line,
  before anyone parses them; uploads (`.../upload`) have gradio's own --max-file-mb limit.
- With --auth: the login page carries no API description (gradio embeds the whole API, with the model
  pickers' local paths, into the page it serves before login), and failed logins are throttled per client
  (the first X-Forwarded-For hop behind a proxy such as a Space, else the peer address).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

Scope = dict
Message = dict
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]

API_INFO = b"<script>window.gradio_api_info = "
SCRIPT_END = b";</script>"


@dataclass
class LoginThrottle:
    """Failed logins per client: after `allowed` failures within `window` seconds the client waits `base`
    seconds, doubling with each further failure up to `longest`; a success forgets the client."""

    allowed: int = 5
    window: float = 300.0
    base: float = 30.0
    longest: float = 600.0
    _failures: dict[str, list[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, client: str, now: float | None = None) -> float:
        """Seconds the client must still wait before its next attempt (0: it may try)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = [t for t in self._failures.get(client, []) if now - t < self.longest]
            self._failures[client] = times
            recent = [t for t in times if now - t < self.window]
            if len(recent) < self.allowed:
                return 0.0
            pause = min(self.longest, self.base * 2 ** (len(recent) - self.allowed))
            return max(0.0, times[-1] + pause - now)

    def failed(self, client: str, now: float | None = None) -> None:
        with self._lock:
            self._failures.setdefault(client, []).append(time.monotonic() if now is None else now)
            if len(self._failures) > 10_000:  # bounded memory under a flood of addresses
                self._failures.pop(next(iter(self._failures)))

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)


def client_of(scope: Scope) -> str:
    for name, value in scope.get("headers") or []:
        if name == b"x-forwarded-for":
            return value.decode("latin-1").split(",")[0].strip()
    peer = scope.get("client")
    return peer[0] if peer else "?"


class Guard:
    """The middleware (pure ASGI, so streamed answers pass through untouched)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, auth: bool, throttle: LoginThrottle | None = None):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.auth = auth
        self.throttle = throttle or LoginThrottle()

    async def __call__(self, scope: Scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope.get("method", "GET"), scope.get("path", "")
        if method in ("POST", "PUT", "PATCH") and not path.rstrip("/").endswith("/upload"):
            length = _content_length(scope)
            if length is not None and length > self.max_body_bytes:
                await _answer(send, 413, self._too_large(length))
                return
            receive = self._bounded(receive)
        try:
            if self.auth and method == "POST" and path.rstrip("/").endswith("/login"):
                await self._login(scope, receive, send)
            elif self.auth and method == "GET":
                await self.app(scope, receive, _without_api_info(send))
            else:
                await self.app(scope, receive, send)
        except BodyTooLarge as err:  # a body without Content-Length that grew past the limit
            await _answer(send, 413, str(err))

    def _too_large(self, length: int) -> str:
        return (f"The request is too large: {length:,} bytes; this server takes at most {self.max_body_bytes:,} "
                "(the operator can raise it with --max-body-mb).")

    def _bounded(self, receive):
        seen = 0

        async def bounded() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_body_bytes:
                raise BodyTooLarge(self._too_large(seen))
            return message

        return bounded

    async def _login(self, scope: Scope, receive, send) -> None:
        client = client_of(scope)
        wait = self.throttle.wait_for(client)
        if wait > 0:
            await _answer(send, 429, f"Too many failed logins: try again in {int(wait) + 1} s.")
            return
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, watch)
        if 200 <= status < 400:
            self.throttle.succeeded(client)
        else:
            self.throttle.failed(client)


class BodyTooLarge(Exception):
    pass


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or []:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _answer(send, status: int, text: str) -> None:
    body = json.dumps({"detail": text, "error": text}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _without_api_info(send):
    """A send that, for an HTML page served to someone not logged in (its config says auth_required),
    replaces the embedded API description with null. Other responses pass through as they come."""
    state: dict = {"html": False, "start": None, "chunks": []}

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = dict(message.get("headers") or [])
            if headers.get(b"content-type", b"").startswith(b"text/html"):
                state.update(html=True, start=message)
                return
            await send(message)
            return
        if message["type"] != "http.response.body" or not state["html"]:
            await send(message)
            return
        state["chunks"].append(message.get("body", b""))
        if message.get("more_body"):
            return
        body = b"".join(state["chunks"])
        if b'"auth_required":true' in body.replace(b" ", b""):
            start = body.find(API_INFO)
            end = body.find(SCRIPT_END, start) if start >= 0 else -1
            if end > 0:
                body = body[:start] + API_INFO + b"null" + body[end:]
        start_message = state["start"]
        headers = [(k, v) for k, v in start_message.get("headers") or [] if k != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start_message, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return wrapped
