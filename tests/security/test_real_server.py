"""A real ``marketdesk serve`` (debug logging) through realistic flows: phone login with an
SMS code, chat messages with card, phone and passport numbers, operator login, tokens on
sockets, a certificate activated with its code, hints, searches, an upload, logout.

Afterwards: the server's whole output holds none of those secrets and personal data (the
access log keeps no query strings of the API), and its data dir, database and files are
readable by the server's user only."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from marketdesk.channels.sms import DEMO_LOG_NAME, read_demo_log
from tests.chat.servers import MARKETDESK, Server
from tests.conftest import DEMO_PASSWORD, backends

pytestmark = pytest.mark.slow

PHONE = "+79000000001"  # the demo customer who logs in to the widget (demo/seed.yaml)
CARD = "4276 3800 1234 5678"
TYPED_PHONE = "+7 916 123-45-67"
PASSPORT = "4510 123456"
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(64)


@dataclass
class Run:
    server: Server
    data_dir: Path
    is_sqlite: bool
    secrets: dict[str, str] = field(default_factory=dict)
    output: str = ""
    modes: dict[str, int] = field(default_factory=dict)  # taken while the server runs


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _socket(server: Server, path: str, token: str) -> None:
    """Open a socket and authenticate with the token in the first frame."""
    with connect(server.ws_url + path) as ws:
        ws.send(json.dumps({"type": "auth", "token": token, "last_seq": 0}))
        frame = json.loads(ws.recv(timeout=10))
        assert frame["type"] == "ready", frame


def _sms_to(data_dir: Path, phone: str) -> str:
    """The SMS the server handed to the demo gateway (right after its answer, in the
    background of the request: wait for it to land)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        texts = [m.text for m in read_demo_log(data_dir / DEMO_LOG_NAME) if m.phone == phone]
        if texts:
            return texts[-1]
        time.sleep(0.05)
    raise AssertionError("no SMS reached the demo gateway")


def _flows(run: Run) -> None:
    server = run.server
    url = server.url
    # an operator logs in with a password and opens the console socket
    operator = server.login("operator")
    supervisor = server.login("supervisor")
    run.secrets.update(password=DEMO_PASSWORD, operator_token=operator, supervisor=supervisor)
    _socket(server, "/ws/operator", operator)

    # a visitor writes card, phone and passport numbers, over REST and over the socket
    visitor = server.visitor()
    run.secrets["visitor_token"] = visitor
    cid = server.post("/api/v1/conversations", visitor, {"line": "general"}).json()["id"]
    for text in (
        f"Списали деньги с карты {CARD}, мой телефон {TYPED_PHONE}",
        f"Паспорт {PASSPORT}, карта {CARD.replace(' ', '')}",
    ):
        sent = server.post(
            f"/api/v1/conversations/{cid}/messages",
            visitor,
            {"client_msg_id": uuid.uuid4().hex, "text": text},
        )
        assert sent.status_code == 201, sent.text
    with connect(f"{server.ws_url}/ws/conversations/{cid}") as ws:
        ws.send(json.dumps({"type": "auth", "token": visitor, "last_seq": 0}))
        assert json.loads(ws.recv(timeout=10))["type"] == "ready"
        ws.send(
            json.dumps(
                {"type": "message", "client_msg_id": "ws-1", "text": f"Ещё раз: {TYPED_PHONE}"}
            )
        )
        for _ in range(50):
            if json.loads(ws.recv(timeout=10))["type"] == "ack":
                break
    upload = httpx.post(
        f"{url}/api/v1/conversations/{cid}/attachments",
        files={"file": ("скрин.png", PNG, "image/png")},
        data={"client_msg_id": uuid.uuid4().hex},
        headers=_auth(visitor),
        timeout=30,
    )
    assert upload.status_code == 201, upload.text

    # the operator asks for hints on the customer's message and searches with it
    hints = httpx.post(
        f"{url}/api/v1/hints",
        json={"text": f"карта {CARD} паспорт {PASSPORT}"},
        headers=_auth(operator),
        timeout=30,
    )
    assert hints.status_code == 200, hints.text
    for path, query in (
        ("/api/v1/products", CARD),
        ("/api/v1/news", TYPED_PHONE),
        ("/api/v1/hints", f"{CARD} {PASSPORT}"),  # what the old console sent: refused now
    ):
        httpx.get(url + path, params={"q": query}, headers=_auth(operator), timeout=30)

    # the customer logs in by phone and a code from SMS; the visitor's chat moves over
    requested = server.post("/api/v1/auth/phone/code", json={"phone": PHONE})
    assert requested.status_code == 200, requested.text
    code = re.search(r"\b(\d{6})\b", _sms_to(run.data_dir, PHONE))
    assert code is not None
    run.secrets["login_code"] = code.group(1)
    verified = server.post(
        "/api/v1/auth/phone/verify",
        json={"phone": PHONE, "code": code.group(1), "visitor_token": visitor},
    )
    assert verified.status_code == 200, verified.text
    customer = verified.json()["token"]
    run.secrets["customer_token"] = customer
    _socket(server, f"/ws/conversations/{cid}", customer)

    # a certificate code, issued on the command line and activated by the customer
    issued = subprocess.run(
        [
            str(MARKETDESK),
            "certificate",
            "issue",
            "--nominal",
            "500",
            "--data-dir",
            str(run.data_dir),
        ],
        env={**os.environ, "MARKETDESK_DATABASE_URL": server.database_url},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    certificate = issued.stdout.strip().splitlines()[-1]
    run.secrets["certificate_code"] = certificate
    activated = server.post("/api/v1/me/certificates/activate", customer, {"code": certificate})
    assert activated.status_code == 200, activated.text
    wrong = server.post("/api/v1/me/certificates/activate", customer, {"code": certificate[::-1]})
    assert wrong.status_code >= 400

    # supervisors look at the SMS deliveries; everyone logs out
    assert server.get("/api/v1/sms-outbox", supervisor).status_code == 200
    for token in (customer, operator, supervisor):
        assert server.post("/api/v1/auth/logout", token).status_code == 204


@pytest.fixture(scope="module", params=backends())
def run(
    request: pytest.FixtureRequest,
    make_database: Callable[[str], Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Run]:
    db = make_database(request.param)
    data_dir = tmp_path_factory.mktemp("real-server") / "data"  # the server creates it
    url = f"sqlite:///{data_dir / 'marketdesk.db'}" if db.backend == "sqlite" else db.url
    server = Server(data_dir, url, log_level="debug")
    server.log_path = data_dir.parent / "server.log"
    server.start()
    result = Run(server, data_dir, db.backend == "sqlite")
    try:
        _flows(result)
        result.modes = {
            str(p.relative_to(data_dir)): stat.S_IMODE(p.stat().st_mode)
            for p in (data_dir, *data_dir.rglob("*"))
        }
    finally:
        server.stop()
        result.output = server.log_path.read_text(encoding="utf-8", errors="replace")
    yield result


def test_the_server_output_holds_no_secrets_or_personal_data(run: Run) -> None:
    output = run.output
    # the access log was on, at debug level (JSON lines of the route, not the raw path)
    assert '"route": "/api/v1/products"' in output
    forbidden = {
        "phone (login)": [PHONE, PHONE[1:], PHONE[2:]],
        "phone (typed)": [TYPED_PHONE, "9161234567", "916 123-45-67"],
        "card": [CARD, CARD.replace(" ", ""), CARD.replace(" ", "+"), "4276%20"],
        "passport": [PASSPORT, PASSPORT.replace(" ", "+")],
        "password": [run.secrets["password"]],
        "certificate code": [run.secrets["certificate_code"]],
        **{  # a token, or the part of it a truncated frame would show
            name: [run.secrets[name], run.secrets[name][:16]]
            for name in ("operator_token", "supervisor", "visitor_token", "customer_token")
        },
    }
    found = {
        name: value for name, values in forbidden.items() for value in values if value in output
    }
    assert not found, f"secrets in the server output: {sorted(found)}"
    code = run.secrets["login_code"]
    assert not re.search(rf"(?<!\d){code}(?!\d)", output), "the login code is in the output"


def test_data_files_are_readable_by_the_server_user_only(run: Run) -> None:
    modes = run.modes
    assert modes["."] == 0o700
    expected = ["secret.key", DEMO_LOG_NAME]
    if run.is_sqlite:
        expected += ["marketdesk.db", "marketdesk.db-wal", "marketdesk.db-shm"]
    assert set(expected) <= set(modes), sorted(modes)
    stored = [name for name in modes if name.startswith("attachments/") and name.count("/") == 2]
    assert len(stored) == 1, stored
    loose = {
        name: oct(mode)
        for name, mode in modes.items()
        if name != "." and mode not in (0o600, 0o700)
    }
    assert not loose, f"readable by others: {loose}"
    assert {name: oct(modes[name]) for name in [*expected, *stored]} == {
        name: oct(0o600) for name in [*expected, *stored]
    }
    folders = [
        "attachments",
        *(n for n in modes if n.startswith("attachments/") and n.count("/") == 1),
    ]
    assert all(modes[name] == 0o700 for name in folders), {n: oct(modes[n]) for n in folders}
