"""Local stand-ins for the Telegram Bot API and the VK API: real HTTP servers (aiohttp, on a
free port, in a thread of their own) that answer the part of each API the adapters use as the
official documentation describes it — method names, required parameters, multipart uploads,
Telegram's ``{"ok", "result"}`` / ``{"ok": false, "error_code", "description"}`` envelopes,
VK's ``{"response"}`` / ``{"error": {"error_code", "error_msg", "request_params"}}`` — and
record every call. :meth:`FakeServer.down` takes a server off its port (connections are
refused) and :meth:`FakeServer.up` brings it back on the same one.

Telegram: https://core.telegram.org/bots/api (getMe, getUpdates, deleteWebhook,
getWebhookInfo, sendMessage, sendPhoto, sendDocument, getFile, ``/file/bot<token>/<path>``).
VK: https://dev.vk.com/ru/method (messages.send, photos.getMessagesUploadServer,
photos.saveMessagesPhoto, docs.getMessagesUploadServer, docs.save, users.get,
groups.getById, messages.getConversations) and the upload servers they name."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["Call", "FakeServer", "FakeTelegram", "FakeVk"]


@dataclass
class Call:
    """One recorded API call: its method, its parameters (strings, as sent) and its files
    (field name → (file name, bytes))."""

    method: str
    params: dict[str, str]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _read_params(request: web.Request) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """Query string, then a URL-encoded, multipart or JSON body (all four are accepted)."""
    params: dict[str, str] = dict(request.query)
    files: dict[str, tuple[str, bytes]] = {}
    if request.content_type == "application/json":
        body = await request.json()
        for key, value in body.items():
            params[key] = value if isinstance(value, str) else json.dumps(value)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = (value.filename, value.file.read())
            else:
                params[key] = str(value)
    return params, files


class FakeServer:
    """An aiohttp application served on 127.0.0.1 in a thread of its own."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._runner: web.AppRunner | None = None

    # --- life -------------------------------------------------------------------------------

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def _run(self, work: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout=30)

    def up(self) -> None:
        async def start() -> None:
            app = web.Application(client_max_size=60 * 1024 * 1024)
            self.routes(app)
            runner = web.AppRunner(app)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", self.port, reuse_address=True).start()
            self._runner = runner

        self._run(start())

    def down(self) -> None:
        """Off the port: connections are refused until :meth:`up`."""
        runner, self._runner = self._runner, None
        if runner is not None:
            self._run(runner.cleanup())

    def close(self) -> None:
        self.down()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    # --- what it saw ------------------------------------------------------------------------

    def record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def called(self, method: str, **match: str) -> list[Call]:
        """The calls of ``method`` whose parameters include ``match``."""
        with self._lock:
            calls = list(self.calls)
        return [
            c
            for c in calls
            if c.method == method and all(c.params.get(k) == v for k, v in match.items())
        ]

    def wait_for(
        self, method: str, count: int = 1, seconds: float = 20.0, **match: str
    ) -> list[Call]:
        """The calls of ``method`` once there are ``count`` of them (a worker in the app makes
        them); fails after ``seconds``."""
        deadline = time.monotonic() + seconds
        while True:
            found = self.called(method, **match)
            if len(found) >= count or time.monotonic() > deadline:
                assert len(found) >= count, (method, match, found, self.calls[-5:])
                return found
            time.sleep(0.05)


# --- Telegram ------------------------------------------------------------------------------


def _tg_error(status: int, description: str) -> web.Response:
    return web.json_response(
        {"ok": False, "error_code": status, "description": description}, status=status
    )


def _tg_ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


class FakeTelegram(FakeServer):
    """The Bot API of one bot (``token``)."""

    TEXT_LIMIT = 4096
    CAPTION_LIMIT = 1024

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.bot_id = int(token.split(":")[0])
        self.updates: list[dict[str, Any]] = []
        self.next_update_id = itertools.count(700_000_001)
        self.message_ids = itertools.count(1)
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id → (file_path, bytes)
        self.blocked: set[int] = set()
        self.too_big: set[str] = set()  # getFile: over the Bot API's 20 MB
        self.webhook_url = ""
        self.up()

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)

    # --- the test's side --------------------------------------------------------------------

    def add_file(self, file_id: str, path: str, data: bytes) -> None:
        self.files[file_id] = (path, data)

    def push(self, message: dict[str, Any]) -> dict[str, Any]:
        """A new update with ``message``, for getUpdates (also returned, for a webhook)."""
        update = {"update_id": next(self.next_update_id), "message": message}
        with self._lock:
            self.updates.append(update)
        return update

    def update(self, message: dict[str, Any]) -> dict[str, Any]:
        """An update for the webhook (not queued for getUpdates)."""
        return {"update_id": next(self.next_update_id), "message": message}

    # --- the API ----------------------------------------------------------------------------

    async def _method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _tg_error(401, "Unauthorized")
        method = request.match_info["method"]
        params, files = await _read_params(request)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return _tg_error(404, "Not Found")
        self.record(Call(method, params, files))
        result: web.Response = await handler(params, files)
        return result

    async def _m_getMe(self, params: dict[str, str], files: Any) -> web.Response:
        return _tg_ok(
            {"id": self.bot_id, "is_bot": True, "first_name": "Поддержка", "username": "md_bot"}
        )

    async def _m_getWebhookInfo(self, params: Any, files: Any) -> web.Response:
        return _tg_ok(
            {
                "url": self.webhook_url,
                "has_custom_certificate": False,
                "pending_update_count": len(self.updates),
            }
        )

    async def _m_deleteWebhook(self, params: Any, files: Any) -> web.Response:
        self.webhook_url = ""
        return _tg_ok(True)

    async def _m_getUpdates(self, params: dict[str, str], files: Any) -> web.Response:
        if self.webhook_url:
            return _tg_error(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), 0.3)  # long polling, shortened
        deadline = time.monotonic() + wait
        while True:
            with self._lock:
                if offset:  # an offset confirms every update before it
                    self.updates = [u for u in self.updates if u["update_id"] >= offset]
                pending = list(self.updates)
            if pending or time.monotonic() >= deadline:
                return _tg_ok(pending[: int(params.get("limit") or 100)])
            await asyncio.sleep(0.05)

    def _chat(self, params: dict[str, str]) -> int | web.Response:
        raw = params.get("chat_id", "")
        if not raw:
            return _tg_error(400, "Bad Request: chat_id is empty")
        if not raw.lstrip("-").isdigit():
            return _tg_error(400, "Bad Request: chat not found")
        chat_id = int(raw)
        if chat_id in self.blocked:
            return _tg_error(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(self.message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": self.bot_id, "is_bot": True, "first_name": "Поддержка"},
            **content,
        }

    async def _m_sendMessage(self, params: dict[str, str], files: Any) -> web.Response:
        chat_id = self._chat(params)
        if isinstance(chat_id, web.Response):
            return chat_id
        text = params.get("text", "")
        if not text.strip():
            return _tg_error(400, "Bad Request: message text is empty")
        if len(text) > self.TEXT_LIMIT:
            return _tg_error(400, "Bad Request: message is too long")
        if "reply_markup" in params:
            json.loads(params["reply_markup"])  # a JSON-serialised object, or a 500 here
        return _tg_ok(self._message(chat_id, text=text))

    def _upload(
        self, field_name: str, params: dict[str, str], files: dict[str, tuple[str, bytes]]
    ) -> tuple[str, bytes] | web.Response:
        """A new file of a send method: a multipart part named ``field_name``, or
        ``attach://<name>`` naming one (a file id or URL is not taken here)."""
        value = params.get(field_name, "")
        if field_name in files:
            return files[field_name]
        if value.startswith("attach://") and value[len("attach://") :] in files:
            return files[value[len("attach://") :]]
        if not value:
            return _tg_error(400, f"Bad Request: there is no {field_name} in the request")
        return _tg_error(400, "Bad Request: wrong file identifier/HTTP URL specified")

    async def _send_file(self, kind: str, params: dict[str, str], files: Any) -> web.Response:
        chat_id = self._chat(params)
        if isinstance(chat_id, web.Response):
            return chat_id
        upload = self._upload(kind, params, files)
        if isinstance(upload, web.Response):
            return upload
        filename, data = upload
        if len(params.get("caption", "")) > self.CAPTION_LIMIT:
            return _tg_error(400, "Bad Request: message caption is too long")
        file_id = f"{kind}-{len(self.calls)}"
        described: Any
        if kind == "photo":
            described = [
                {
                    "file_id": file_id,
                    "file_unique_id": file_id,
                    "width": 90,
                    "height": 90,
                    "file_size": len(data),
                }
            ]
        else:
            described = {
                "file_id": file_id,
                "file_unique_id": file_id,
                "file_name": filename,
                "file_size": len(data),
            }
        content: dict[str, Any] = {kind: described}
        if params.get("caption"):
            content["caption"] = params["caption"]
        return _tg_ok(self._message(chat_id, **content))

    async def _m_sendPhoto(self, params: dict[str, str], files: Any) -> web.Response:
        return await self._send_file("photo", params, files)

    async def _m_sendDocument(self, params: dict[str, str], files: Any) -> web.Response:
        return await self._send_file("document", params, files)

    async def _m_getFile(self, params: dict[str, str], files: Any) -> web.Response:
        file_id = params.get("file_id", "")
        if file_id in self.too_big:
            return _tg_error(400, "Bad Request: file is too big")
        if file_id not in self.files:
            return _tg_error(400, "Bad Request: invalid file_id")
        path, data = self.files[file_id]
        return _tg_ok(
            {
                "file_id": file_id,
                "file_unique_id": file_id,
                "file_size": len(data),
                "file_path": path,
            }
        )

    async def _file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        wanted = request.match_info["path"]
        for path, data in self.files.values():
            if path == wanted:
                self.record(Call("download", {"path": path}))
                return web.Response(body=data)
        return web.Response(status=404)


# --- VK ------------------------------------------------------------------------------------


class FakeVk(FakeServer):
    """The VK API of one community (``token``, ``group_id``) and its upload servers."""

    def __init__(self, token: str, group_id: int) -> None:
        super().__init__()
        self.token = token
        self.group_id = group_id
        self.message_ids = itertools.count(5001)
        self.sent: dict[tuple[str, str], int] = {}  # (peer_id, random_id) → message id
        self.blocked: set[int] = set()
        self.uploads: dict[str, tuple[str, bytes]] = {}  # server's file token → file
        self.saved: dict[str, tuple[str, bytes]] = {}  # "photo-1_2" / "doc-1_3" → file
        self.static: dict[str, bytes] = {}  # /files/<name>: attachments of inbound messages
        self.users = {1: ("Павел", "Дуров")}
        self.messages_allowed = True  # the community's messages on, and the token's right
        self.ids = itertools.count(1)
        self.up()

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/method/{method}", self._method)
        app.router.add_post("/upload/{kind}", self._upload)
        app.router.add_get("/files/{name}", self._static)

    @staticmethod
    def _error(code: int, message: str, params: dict[str, str]) -> web.Response:
        shown = [{"key": k, "value": v} for k, v in params.items() if k != "access_token"]
        return web.json_response(
            {"error": {"error_code": code, "error_msg": message, "request_params": shown}}
        )

    async def _method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params, files = await _read_params(request)
        self.record(Call(method, params, files))
        if not params.get("v"):
            return self._error(8, "Invalid request: v (version) is required", params)
        if params.get("access_token") != self.token:
            return self._error(5, "User authorization failed: invalid access_token (4).", params)
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return self._error(3, "Unknown method passed", params)
        outcome = handler(params)
        if isinstance(outcome, web.Response):
            return outcome
        return web.json_response({"response": outcome})

    def _required(self, params: dict[str, str], *names: str) -> web.Response | None:
        for name in names:
            if not params.get(name):
                return self._error(
                    100,
                    f"One of the parameters specified was missing or invalid: {name} is undefined",
                    params,
                )
        return None

    def _m_messages_send(self, params: dict[str, str]) -> Any:
        missing = self._required(params, "peer_id", "random_id")
        if missing:
            return missing
        if not params.get("message") and not params.get("attachment"):
            return self._error(
                100,
                "One of the parameters specified was missing or invalid: message is empty",
                params,
            )
        if len(params.get("message", "")) > 4096:
            return self._error(914, "Message is too long", params)
        if int(params["peer_id"]) in self.blocked:
            return self._error(901, "Can't send messages for users without permission", params)
        for attachment in filter(None, params.get("attachment", "").split(",")):
            key = attachment.rsplit("_", 1)[0] if attachment.startswith("photo") else attachment
            if key not in self.saved:
                return self._error(100, f"invalid attachment: {attachment}", params)
        key = (params["peer_id"], params["random_id"])
        if key not in self.sent:  # the same random_id to the same peer: sent once
            self.sent[key] = next(self.message_ids)
        return self.sent[key]

    def deliveries(self, peer_id: int) -> list[Call]:
        """The messages.send calls to ``peer_id`` that sent something new (not a repeat of a
        random_id)."""
        seen: set[str] = set()
        out = []
        for call in self.called("messages.send", peer_id=str(peer_id)):
            if call.params.get("random_id") in seen or call.params.get("v") is None:
                continue
            if call.params.get("access_token") != self.token:
                continue
            seen.add(call.params["random_id"])
            out.append(call)
        return out

    def _m_photos_getMessagesUploadServer(self, params: dict[str, str]) -> Any:
        return {"upload_url": f"{self.url}/upload/photo", "album_id": -3, "group_id": self.group_id}

    def _m_docs_getMessagesUploadServer(self, params: dict[str, str]) -> Any:
        missing = self._required(params, "peer_id")
        return missing or {"upload_url": f"{self.url}/upload/doc"}

    async def _upload(self, request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        params, files = await _read_params(request)
        self.record(Call(f"upload/{kind}", params, files))
        field_name = "photo" if kind == "photo" else "file"
        if field_name not in files:
            return web.json_response({"error": "no file uploaded"})
        token = f"{kind}-upload-{next(self.ids)}"
        self.uploads[token] = files[field_name]
        if kind == "photo":
            return web.json_response(
                {"server": 840, "photo": json.dumps([{"photo": token}]), "hash": f"hash-{token}"}
            )
        return web.json_response({"file": token})

    def _m_photos_saveMessagesPhoto(self, params: dict[str, str]) -> Any:
        missing = self._required(params, "photo", "server", "hash")
        if missing:
            return missing
        [described] = json.loads(params["photo"])
        token = described["photo"]
        if params["hash"] != f"hash-{token}" or token not in self.uploads:
            return self._error(121, "Invalid hash", params)
        photo_id = next(self.ids)
        self.saved[f"photo-{self.group_id}_{photo_id}"] = self.uploads.pop(token)
        return [
            {
                "id": photo_id,
                "owner_id": -self.group_id,
                "access_key": "k3y",
                "album_id": -3,
                "sizes": [],
            }
        ]

    def _m_docs_save(self, params: dict[str, str]) -> Any:
        missing = self._required(params, "file")
        if missing:
            return missing
        if params["file"] not in self.uploads:
            return self._error(1150, "Invalid document id", params)
        doc_id = next(self.ids)
        filename, data = self.uploads.pop(params["file"])
        self.saved[f"doc-{self.group_id}_{doc_id}"] = (params.get("title") or filename, data)
        return {
            "type": "doc",
            "doc": {
                "id": doc_id,
                "owner_id": -self.group_id,
                "title": params.get("title") or filename,
                "size": len(data),
                "ext": filename.rsplit(".", 1)[-1],
                "url": f"{self.url}/files/doc{doc_id}",
            },
        }

    def _m_users_get(self, params: dict[str, str]) -> Any:
        users = []
        for raw in params.get("user_ids", "").split(","):
            if raw.isdigit():
                first, last = self.users.get(int(raw), ("Пользователь", raw))
                users.append(
                    {
                        "id": int(raw),
                        "first_name": first,
                        "last_name": last,
                        "can_access_closed": True,
                        "is_closed": False,
                    }
                )
        return users

    def _m_groups_getById(self, params: dict[str, str]) -> Any:
        return {
            "groups": [
                {
                    "id": self.group_id,
                    "name": "Поддержка",
                    "screen_name": "support",
                    "type": "group",
                }
            ],
            "profiles": [],
        }

    def _m_messages_getConversations(self, params: dict[str, str]) -> Any:
        if not self.messages_allowed:
            return self._error(15, "Access denied: no access to call this method", params)
        return {"count": 0, "items": []}

    async def _static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self.static:
            return web.Response(status=404)
        self.record(Call("download", {"name": name}))
        return web.Response(body=self.static[name])
