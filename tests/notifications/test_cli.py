"""``marketdesk certificate issue --email`` (issue 20, item 9): the code goes to the customer
through the outbox by e-mail, from the account sender; it is printed and logged nowhere.
``marketdesk worker --once`` delivers what is queued."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from tests.notifications.servers import smtp_sink
from tests.test_cli import run

pytestmark = pytest.mark.slow


def test_certificate_issue_sends_the_code_by_email(tmp_path: Path) -> None:
    with smtp_sink() as sink:
        smtp = {"MARKETDESK_SMTP_URL": f"smtp://127.0.0.1:{sink.port}"}
        result = run(
            "certificate",
            "issue",
            "--nominal",
            "1000",
            "--email",
            "Ivan@Example.RU",
            data_dir=tmp_path,
            env=smtp,
        )
        assert "отправлено по e-mail: 1" in result.stdout
        [letter] = sink.messages
    assert letter["To"] == "Ivan@example.ru"
    [sender] = letter["From"].addresses
    assert sender.addr_spec == "mailer@ozon.ru"
    assert letter["Subject"] == "Ваш подарочный сертификат на 1000 ₽"
    found = re.search(r"Код активации: ([0-9A-Z]{4}(?:-[0-9A-Z]{4}){3})", letter.get_content())
    assert found is not None
    code = found.group(1)
    assert code not in result.stdout + result.stderr
    with sqlite3.connect(tmp_path / "marketdesk.db") as db:
        rows = db.execute(
            "SELECT event, channel, status, body, sender FROM notifications"
        ).fetchall()
    assert rows == [("certificate_issued", "email", "sent", None, "mailer@ozon.ru")]


def test_without_smtp_the_letter_waits_for_a_worker(tmp_path: Path) -> None:
    result = run(
        "certificate", "issue", "--nominal", "500", "--email", "olga@example.ru", data_dir=tmp_path
    )
    assert "отправлено по e-mail: 0" in result.stdout and "MARKETDESK_SMTP_URL" in result.stdout
    with smtp_sink() as sink:
        worker = run(
            "worker",
            "--once",
            data_dir=tmp_path,
            env={"MARKETDESK_SMTP_URL": f"smtp://127.0.0.1:{sink.port}"},
        )
        assert "Отправлено уведомлений: 1" in worker.stdout
        [letter] = sink.messages
    assert letter["To"] == "olga@example.ru"
