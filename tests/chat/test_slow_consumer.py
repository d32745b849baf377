"""A socket that stops reading is dropped (its send queue is bounded) while a healthy socket
on the same conversation gets everything; the dropped client reconnects with its last seq
and receives exactly what it missed."""

from __future__ import annotations

import base64
import json
import os
import socket
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from tests.chat.servers import Server

pytestmark = pytest.mark.slow

COUNT = 1500
TEXT = "я" * 4000  # 8 KB a frame: the buffers between server and client fill quickly


def _raw_socket(port: int, path: str, first: dict) -> socket.socket:
    """A WebSocket client that sends its auth frame and then never reads."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert b" 101 " in head.split(b"\r\n")[0], head
    payload = json.dumps(first).encode()
    assert len(payload) < 126
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + masked)
    return sock


def _frames(data: bytes) -> list[tuple[int, bytes]]:
    """Complete server frames (unmasked) in ``data``."""
    out, i = [], 0
    while i + 2 <= len(data):
        opcode, length = data[i] & 0x0F, data[i + 1] & 0x7F
        i += 2
        if length == 126:
            if i + 2 > len(data):
                break
            length = int.from_bytes(data[i : i + 2], "big")
            i += 2
        elif length == 127:
            if i + 8 > len(data):
                break
            length = int.from_bytes(data[i : i + 8], "big")
            i += 8
        if i + length > len(data):
            break
        out.append((opcode, data[i : i + length]))
        i += length
    return out


def test_a_slow_socket_is_dropped_and_catches_up_after_reconnecting(tmp_path: Path) -> None:
    server = Server(tmp_path, f"sqlite:///{tmp_path / 'slow.db'}", log_name="slow").start()
    try:
        token = server.visitor()
        cid = server.post("/api/v1/conversations", token, {"line": "general"}).json()["id"]
        server.post(f"/api/v1/conversations/{cid}/handoff", token)
        start = server.get(f"/api/v1/conversations/{cid}", token).json()["last_seq"]
        auth = {"type": "auth", "token": token, "last_seq": start}
        slow = _raw_socket(server.port, f"/ws/conversations/{cid}", auth)

        headers = {"Authorization": f"Bearer {token}"}
        with (
            httpx.Client(base_url=server.url, headers=headers, timeout=30) as http,
            connect(f"{server.ws_url}/ws/conversations/{cid}") as healthy,
        ):
            healthy.send(json.dumps(auth))
            for i in range(COUNT):
                response = http.post(
                    f"/api/v1/conversations/{cid}/messages",
                    json={"client_msg_id": f"m{i}", "text": TEXT},
                )
                assert response.status_code == 201
            seen = []
            while len(seen) < COUNT:
                frame = json.loads(healthy.recv(timeout=30))
                if frame["type"] == "message":
                    seen.append(frame["message"]["seq"])
            assert seen == list(range(start + 1, start + COUNT + 1))

        # the slow one was cut off: what it got ends early, then the connection ends
        slow.settimeout(30)
        data = b""
        while chunk := slow.recv(1 << 16):
            data += chunk
        slow.close()
        got = [
            json.loads(body)["message"]["seq"]
            for opcode, body in _frames(data)
            if opcode == 1 and json.loads(body)["type"] == "message"
        ]
        assert got == list(range(start + 1, start + 1 + len(got)))
        assert len(got) < COUNT
        last = got[-1] if got else start

        with connect(f"{server.ws_url}/ws/conversations/{cid}") as again:
            again.send(json.dumps({"type": "auth", "token": token, "last_seq": last}))
            rest = []
            while len(rest) < start + COUNT - last:
                frame = json.loads(again.recv(timeout=30))
                if frame["type"] == "message":
                    rest.append(frame["message"]["seq"])
        assert got + rest == list(range(start + 1, start + COUNT + 1))
    finally:
        server.stop()
