"""Refuse request bodies over the configured size with 413, also when no Content-Length is sent."""

from __future__ import annotations

import html
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    """`max_bytes` for the JSON API; `max_form_bytes` for resident pages, whose forms carry uploads."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_form_bytes: int) -> None:
        self.app = app
        self.api_max = max_bytes
        self.form_max = max_form_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_api = str(scope.get("path", "")).startswith("/api/")
        limit = self.api_max if is_api else self.form_max
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await self._too_large(send, limit, is_api)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._too_large(send, limit, is_api)

    async def _too_large(self, send: Send, limit: int, is_api: bool) -> None:
        message = f"送信された内容が大きすぎます（上限 {limit // 1_048_576 or 1} MB）。添付ファイルを小さくしてください"
        if is_api:
            body = json.dumps({"errors": [{"pointer": "", "keyword": "maxBytes", "message": message}]}).encode()
            kind = b"application/json"
        else:
            body = (f'<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>エラー: 送信できませんでした'
                    f'</title><link rel="stylesheet" href="/static/forms.css"></head><body><main id="main"><h1>'
                    f"送信できませんでした</h1><p>{html.escape(message)}</p><p>ブラウザの「戻る」で前のページに戻れます。"
                    "</p></main></body></html>").encode()
            kind = b"text/html; charset=utf-8"
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass
