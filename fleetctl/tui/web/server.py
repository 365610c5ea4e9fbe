"""The aiohttp server behind `fleetctl tui --web`.

Routes: ``/?token=T`` (the page), ``/ws/T`` (the websocket that drives one ``fleetctl tui``
process through textual-serve's ``AppService``), ``/static/...`` (textual-serve's script, style
sheet and fonts, from the installed package). The rules of ``guard`` apply to each: no token, no
page and no session; a websocket from another origin is refused; at most ``max_sessions``
sessions run at once (each one checks the whole fleet). textual-serve's own server is not used:
its page asks a public font CDN for "Roboto Mono" and it has no notion of a token.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from string import Template
from typing import Any

from aiohttp import WSMsgType, web

from fleetctl.base.i18n import _
from fleetctl.tui.web import guard

log = logging.getLogger(__name__)

PAGE = Path(__file__).with_name("page.html")
MAX_SESSIONS = 4  # each session is a `fleetctl tui` process sweeping the fleet
MAX_MESSAGE = 64 * 1024  # keystrokes and resizes: a browser never sends more at once
HEARTBEAT_S = 15.0
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _static_dir() -> Path:
    import textual_serve

    return Path(textual_serve.__file__).resolve().parent / "static"


def _content_policy(host: str) -> str:
    # Belt and braces: even the page's own script may only talk to this server.
    return (
        "default-src 'none'; "
        "script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
        "font-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' ws://{host}; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'none'"
    )


class WebServer:
    """One listening server; ``command`` is the shell command each session runs."""

    def __init__(
        self,
        command: str,
        *,
        host: str,
        port: int,
        token: str | None = None,
        max_sessions: int = MAX_SESSIONS,
        title: str = "fleetctl",
    ) -> None:
        self.command = command
        self.host, self.port = host, port
        self.token = token or guard.new_token()
        self.max_sessions = max_sessions
        self.title = title
        self.sessions = 0
        self._page = Template(PAGE.read_text(encoding="utf-8"))
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """The URL to open (printed at start): the token is in it."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/?token={self.token}"

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._check_host], client_max_size=MAX_MESSAGE)
        app.add_routes(
            [
                web.get("/", self.handle_page),
                web.get("/ws/{token}", self.handle_websocket),
                web.static("/static", _static_dir(), show_index=False),
            ]
        )
        return app

    async def start(self) -> None:
        """Bind (port 0 picks a free port, then ``self.port`` says which)."""
        runner = web.AppRunner(self.make_app(), handle_signals=False, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        if runner.addresses:
            self.port = int(runner.addresses[0][1])

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def run_until_signalled(self, announce: Callable[[str], None]) -> None:
        """Serve until SIGINT or SIGTERM; ``announce(url)`` once listening."""
        await self.start()
        announce(self.url)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await self.close()

    # ------------------------------------------------------------------ handlers

    @web.middleware
    async def _check_host(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not guard.host_ok(request.headers.get("Host"), self.host):
            raise web.HTTPMisdirectedRequest(text=_("fleetctl: unknown host name") + "\n")
        return await handler(request)

    async def handle_page(self, request: web.Request) -> web.Response:
        if not guard.token_ok(request.query.get("token"), self.token):
            raise web.HTTPForbidden(
                text=_("fleetctl: open the URL that `fleetctl tui --web` printed (with its token)")
                + "\n"
            )
        host = request.headers["Host"]
        try:
            font_size = min(max(int(request.query.get("fontsize", "16")), 6), 64)
        except ValueError:
            font_size = 16
        page = self._page.substitute(
            title=html.escape(self.title),
            static="/static",
            websocket_url=html.escape(f"ws://{host}/ws/{self.token}"),
            font_size=font_size,
            start=html.escape(_("Start")),
            ended=html.escape(_("Session ended.")),
            restart=html.escape(_("Restart")),
        )
        return web.Response(
            text=page,
            content_type="text/html",
            headers={
                "Content-Security-Policy": _content_policy(host),
                "Referrer-Policy": "no-referrer",
                "X-Frame-Options": "DENY",
                "Cache-Control": "no-store",
            },
        )

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        if not guard.token_ok(request.match_info.get("token"), self.token):
            raise web.HTTPForbidden(text=_("fleetctl: wrong or missing token") + "\n")
        if not guard.origin_ok(request.headers.get("Origin"), request.headers.get("Host")):
            log.warning("refused a websocket from origin %r", request.headers.get("Origin"))
            raise web.HTTPForbidden(text=_("fleetctl: not from this server's page") + "\n")
        if self.sessions >= self.max_sessions:
            raise web.HTTPServiceUnavailable(
                text=_("fleetctl: already {n} sessions open; close one first").format(
                    n=self.sessions
                )
                + "\n"
            )
        self.sessions += 1  # counted before the first await: no two upgrades slip past the cap
        try:
            return await self._session(request)
        finally:
            self.sessions -= 1

    async def _session(self, request: web.Request) -> web.WebSocketResponse:
        from textual_serve.app_service import AppService
        from textual_serve.download_manager import DownloadManager

        websocket = web.WebSocketResponse(heartbeat=HEARTBEAT_S, max_msg_size=MAX_MESSAGE)
        width = _int(request.query.get("width"), 80)
        height = _int(request.query.get("height"), 24)
        await websocket.prepare(request)

        async def close() -> None:
            await websocket.close()

        service = AppService(
            self.command,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=close,
            download_manager=DownloadManager(),
        )
        try:
            await service.start(width, height)
            await _relay(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception:  # one broken session must not stop the server
            log.exception("browser session ended with an error")
        finally:
            await service.stop()
        return websocket


def _int(value: str | None, default: int) -> int:
    try:
        return min(max(int(value or default), 1), 1000)
    except ValueError:
        return default


async def _relay(websocket: web.WebSocketResponse, service: Any) -> None:
    """Browser -> app: keystrokes, resizes, focus; anything malformed is dropped."""
    async for message in websocket:
        if message.type != WSMsgType.TEXT:
            continue
        try:
            kind, *rest = json.loads(message.data)
        except (ValueError, TypeError):
            continue
        data = rest[0] if rest else None
        if kind == "stdin" and isinstance(data, str):
            await service.send_bytes(data.encode("utf-8"))
        elif kind == "resize" and isinstance(data, dict):
            await service.set_terminal_size(
                _int(str(data.get("width")), 80), _int(str(data.get("height")), 24)
            )
        elif kind == "ping":
            await websocket.send_json(["pong", data])
        elif kind == "blur":
            await service.blur()
        elif kind == "focus":
            await service.focus()
