"""A lean HTTP/1.1 client for the benchmarks: keep-alive connections over asyncio streams,
the few calls ``bench/api.py`` makes (``get``, ``post`` with a JSON body), nothing else.

Client and server share this 2-core machine, so the client's own CPU is taken from the
server: httpx spends about 1 ms of CPU on a request (its models, its transport, anyio), this
about 0.1 ms. Both marketdesk and the peer are driven by the same client in a run.

Not a general client: no TLS, no redirects, no chunked request bodies; an answer must carry
``Content-Length`` or be chunked (both servers here do one or the other)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

__all__ = ["HTTPError", "LightClient", "LightResponse"]


class HTTPError(Exception):
    """The connection failed or the answer could not be read."""


@dataclass
class LightResponse:
    status_code: int
    content: bytes

    def json(self) -> Any:
        return orjson.loads(self.content)


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.reusable = True
        self.used = False  # it has answered a request before

    async def exchange(self, request: bytes) -> LightResponse:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length: int | None = None
        chunked = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                self.reusable = False  # gunicorn's sync workers answer one request a connection
        if chunked:
            body = bytearray()
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                body += chunk[:-2]
            return LightResponse(status, bytes(body))
        return LightResponse(status, await self.reader.readexactly(length or 0))

    def close(self) -> None:
        self.writer.close()


class LightClient:
    """``async with LightClient(base_url, headers=…) as client``: ``await client.post(path,
    json=…, headers=…)`` → :class:`LightResponse`. Connections are kept and reused."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.headers = dict(headers or {})
        self._idle: list[_Connection] = []
        self._all: list[_Connection] = []

    async def __aenter__(self) -> LightClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        for connection in self._all:
            connection.close()

    def _request(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str] | None
    ) -> bytes:
        merged = {**self.headers, **(headers or {})}
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        head += [f"{name}: {value}" for name, value in merged.items()]
        if body is not None:
            head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        return ("\r\n".join(head) + "\r\n\r\n").encode() + (body or b"")

    async def _connect(self) -> _Connection:
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        except OSError as error:
            raise HTTPError(str(error)) from error
        connection = _Connection(reader, writer)
        self._all.append(connection)
        return connection

    def _drop(self, connection: _Connection) -> None:
        connection.close()
        self._all.remove(connection)

    async def _send(self, request: bytes) -> LightResponse:
        connection = self._idle.pop() if self._idle else await self._connect()
        try:
            response = await connection.exchange(request)
        except asyncio.IncompleteReadError as error:
            self._drop(connection)
            if error.partial or not connection.used:
                raise HTTPError(str(error)) from error
            # a kept connection the server had closed meanwhile: once more on a new one
            connection = await self._connect()
            try:
                response = await connection.exchange(request)
            except (OSError, ValueError, asyncio.IncompleteReadError) as again:
                self._drop(connection)
                raise HTTPError(str(again)) from again
        except (OSError, ValueError) as error:
            self._drop(connection)
            raise HTTPError(str(error)) from error
        connection.used = True
        if connection.reusable:
            self._idle.append(connection)
        else:
            self._drop(connection)
        return response

    async def get(self, path: str, headers: dict[str, str] | None = None) -> LightResponse:
        return await self._send(self._request("GET", path, None, headers))

    async def post(
        self, path: str, json: Any = None, headers: dict[str, str] | None = None
    ) -> LightResponse:
        return await self._send(self._request("POST", path, orjson.dumps(json), headers))
