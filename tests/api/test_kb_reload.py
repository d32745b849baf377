"""The knowledge base is re-read on ``marketdesk kb reload`` (a stamp in the data dir that
running servers watch) and on POST /api/v1/kb/reload; a broken article is reported by name
and the others keep answering."""

from __future__ import annotations

import shutil
import time

import pytest
from fastapi.testclient import TestClient

from marketdesk.kb.reload import request_reload
from marketdesk.server import create_app
from marketdesk.settings import REPO_ROOT
from tests.conftest import ROLES, auth

NEW_ARTICLE = """---
slug: support_hours
title: Тестовая статья о совах
audience: customer
questions:
  - работают ли совы ночью в поддержке
keywords: [совы, филин]
---
Совы и филины тут ни при чём: поддержка отвечает в чате круглосуточно.
"""


@pytest.fixture
def kb_app(demo_db, tmp_path):
    kb_dir = tmp_path / "kb"
    shutil.copytree(REPO_ROOT / "content" / "kb", kb_dir)
    settings = demo_db.settings(
        kb_dir=kb_dir, data_dir=tmp_path / "data", kb_watch_interval_seconds=0.05
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client, kb_dir, settings


def _ask(client, text):
    return client.post("/api/v1/bot/ask", json={"text": text}).json()


def test_stamp_makes_a_running_server_reload(kb_app):
    client, kb_dir, settings = kb_app
    question = "филин совы ночью"
    assert "Совы и филины" not in _ask(client, question)["answer"]
    (kb_dir / "owls.md").write_text(NEW_ARTICLE, encoding="utf-8")
    request_reload(settings.data_dir)
    for _ in range(200):  # bounded wait for the watcher; no timing is asserted
        if "Совы и филины" in _ask(client, question)["answer"]:
            break
        time.sleep(0.05)
    assert "Совы и филины" in _ask(client, question)["answer"]


def test_api_reload_reports_a_broken_file_and_keeps_the_rest(kb_app, tokens):
    client, kb_dir, _ = kb_app
    (kb_dir / "broken.md").write_text("---\nslug: [oops\n---\nтекст", encoding="utf-8")
    (kb_dir / "unknown.md").write_text(
        NEW_ARTICLE.replace("support_hours", "no_such_topic"), encoding="utf-8"
    )
    response = client.post("/api/v1/kb/reload", headers=auth(tokens["supervisor"]))
    assert response.status_code == 200
    body = response.json()
    assert body["articles"] >= 77
    assert any("broken.md" in e for e in body["errors"])
    assert any("unknown.md" in e for e in body["errors"])
    assert _ask(client, "как активировать подарочный сертификат")["topic"] == (
        "certificate_activation"
    )


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("operator", 403),
        ("backoffice", 403),
        ("supervisor", 200),
        ("admin", 200),
        ("customer", 403),
        ("visitor", 403),
        (None, 401),
    ],
)
def test_reload_rights(client, tokens, who, status):
    assert set(ROLES) >= {"operator", "supervisor"}
    headers = auth(tokens[who]) if who else {}
    assert client.post("/api/v1/kb/reload", headers=headers).status_code == status
