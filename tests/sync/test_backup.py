"""Backup under write load, restore into a fresh data dir: the restored server answers with
every message and task acknowledged before the backup began, the attachments' files, and a
consistent transcript (no gaps); on SQLite and on PostgreSQL. And one customer's export."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import uuid
from pathlib import Path

import pytest

from marketdesk.store.postgres import create_database, drop_database
from tests.chat.servers import Server
from tests.conftest import PG_ENV, backends, prepare
from tests.test_cli import run

pytestmark = pytest.mark.slow


def _database(backend: str, data_dir: Path) -> tuple[str, str | None]:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{data_dir / 'marketdesk.db'}", None
    name = f"marketdesk_test_{uuid.uuid4().hex[:12]}"
    return asyncio.run(create_database(os.environ[PG_ENV], name)), name


class Load:
    """A customer's messages and an operator's tasks, one after another, until stopped;
    what the server acknowledged is kept with whether the backup had begun."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.visitor = server.visitor()
        self.operator = server.login("operator")
        started = server.post("/api/v1/conversations", self.visitor, {"line": "general"})
        assert started.status_code in (200, 201), started.text
        self.conversation = started.json()["id"]
        self.backup_began = threading.Event()
        self.stop = threading.Event()
        self.messages: list[tuple[int, bool]] = []  # (id, acknowledged after the backup began)
        self.tasks: list[tuple[str, bool]] = []
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            after = self.backup_began.is_set()
            sent = self.server.post(
                f"/api/v1/conversations/{self.conversation}/messages",
                self.visitor,
                {"client_msg_id": f"load-{n}", "text": f"Сообщение под нагрузкой {n}"},
            )
            if sent.status_code in (200, 201):
                self.messages.append((sent.json()["id"], after))
            task = self.server.post(
                "/api/v1/tasks", self.operator, {"queue": "Жалобы", "title": f"Задача {n}"}
            )
            if task.status_code == 201:
                self.tasks.append((task.json()["number"], after))


@pytest.mark.parametrize("backend", backends())
def test_a_backup_under_write_load_restores_every_acknowledged_write(
    backend: str, tmp_path: Path
) -> None:
    source_dir, target_dir = tmp_path / "source", tmp_path / "target"
    source_dir.mkdir()
    url, name = _database(backend, source_dir)
    target_url, target_name = _database(backend, target_dir)
    env = {"MARKETDESK_DATABASE_URL": url}
    try:
        prepare(url)
        attachment = source_dir / "attachments" / "ab" / ("ab" + "0" * 62)
        attachment.parent.mkdir(parents=True)
        attachment.write_bytes(b"%PDF-1.4 a file the backup must carry")
        server = Server(source_dir, url).start()
        load = Load(server)
        try:
            load.thread.start()
            while len(load.messages) < 5:  # the load is on
                load.thread.join(0.05)
            load.backup_began.set()
            archive = tmp_path / "backup.tar.gz"
            result = run("backup", str(archive), data_dir=source_dir, env=env)
            assert "Резервная копия" in result.stdout
            while len(load.messages) < sum(1 for _, after in load.messages if not after) + 3:
                load.thread.join(0.05)  # and it went on during the backup
        finally:
            load.stop.set()
            load.thread.join(30)
            server.stop()

        target_dir.mkdir()
        run(
            "restore",
            str(archive),
            data_dir=target_dir,
            env={"MARKETDESK_DATABASE_URL": target_url},
        )
        again = run("restore", str(archive), data_dir=target_dir, check=False,
                    env={"MARKETDESK_DATABASE_URL": target_url})  # fmt: skip
        assert again.returncode == 1 and "пуст" in again.stderr
        restored = target_dir / attachment.relative_to(source_dir)
        assert restored.read_bytes() == attachment.read_bytes()

        server = Server(target_dir, target_url).start()
        try:
            operator = server.login("supervisor")
            transcript = server.get(
                f"/api/v1/conversations/{load.conversation}/messages", operator, after_seq=0
            ).json()["messages"]
            ids = {m["id"] for m in transcript}
            before = [i for i, after in load.messages if not after]
            assert before and set(before) <= ids
            seqs = [m["seq"] for m in transcript]
            assert seqs == list(range(1, len(seqs) + 1))  # one consistent moment: no gaps
            for number, after in load.tasks:
                response = server.get(f"/api/v1/tasks/{number}", operator)
                if not after:
                    assert response.status_code == 200, (number, response.text)
            assert server.get("/api/v1/customers/58561573", operator).status_code == 200
        finally:
            server.stop()

        exported = run("export", "customer", "61000001", data_dir=target_dir,
                       env={"MARKETDESK_DATABASE_URL": target_url}).stdout  # fmt: skip
        data = json.loads(exported)
        assert data["customer"]["phone"] == "+79000000002"
        assert {o["number"] for o in data["orders"]} >= {"61000001-0001", "61000001-0003"}
    finally:
        for db_name in (name, target_name):
            if db_name:
                asyncio.run(drop_database(os.environ[PG_ENV], db_name))
