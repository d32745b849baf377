"""The ``marketdesk`` command as a user runs it: version, migrations, demo, tokens, and
``serve`` answering over real HTTP with the demo data."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from marketdesk import __version__

MARKETDESK = shutil.which("marketdesk", path=str(Path(sys.executable).parent)) or "marketdesk"


def run(
    *args: str, data_dir: Path, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MARKETDESK_")}
    environment.update({"MARKETDESK_DATA_DIR": str(data_dir), **(env or {})})
    result = subprocess.run(
        [MARKETDESK, *args], capture_output=True, text=True, env=environment, timeout=300
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_version(tmp_path):
    assert (
        run("--version", data_dir=tmp_path).stdout.strip() == f"marketdesk, version {__version__}"
    )


def test_upgrade_demo_and_token(tmp_path):
    assert "обновлена" in run("db", "upgrade", data_dir=tmp_path).stdout
    first = run("demo", "load", data_dir=tmp_path).stdout
    assert "Пароль демо-операторов (показан один раз)" in first
    assert "operator, backoffice, supervisor, admin" in first
    second = run("demo", "load", data_dir=tmp_path).stdout
    assert "Пароль" not in second  # loaded once, the password is not printed again
    token = run("token", "--operator", "operator", data_dir=tmp_path).stdout.strip()
    assert len(token) >= 40
    assert run("token", "--customer", "58561573", data_dir=tmp_path).stdout.strip() != token


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("token", "--operator", "ghost"), "не найден"),
        (("token", "--customer", "1"), "не найден"),
        (("token",), "ровно одно"),
        (("token", "--operator", "operator", "--customer", "58561573"), "ровно одно"),
    ],
)
def test_token_errors_are_clear(tmp_path, args, message):
    run("demo", "load", data_dir=tmp_path)
    result = run(*args, data_dir=tmp_path, check=False)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_serve_brings_up_the_demo_on_a_new_data_dir(tmp_path):
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MARKETDESK_")}
    environment["MARKETDESK_DEMO_PASSWORD"] = "pass-for-serve-test"
    server = subprocess.Popen(
        [MARKETDESK, "serve", "--port", str(port), "--data-dir", str(tmp_path / "new")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(1800):  # up to 3 minutes on a busy machine
            try:
                if _get(base + "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None:
                pytest.fail(f"server exited: {server.stdout.read()}")
            time.sleep(0.1)
        else:
            pytest.fail("server did not become ready")
        request = urllib.request.Request(
            base + "/api/v1/auth/login",
            data=json.dumps({"login": "operator", "password": "pass-for-serve-test"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            token = json.loads(response.read())["token"]
        status, card = _get(base + "/api/v1/products/235260644", token)
        assert status == 200
        assert {s["warehouse"]: s["quantity"] for s in card["stock"]} == {
            "НОВАЯ_РИГА_РФЦ": 97,
            "РОСТОВ-НА-ДОНУ_РФЦ": 296,
            "ХОРУГВИНО_РФЦ": 293,
            "САНКТ-ПЕТЕРБУРГ_РФЦ": 311,
            "ТВЕРЬ_ХАБ": 206,
        }
        assert _get(base + "/api/v1/products/235260644")[0] == 401
    finally:
        server.send_signal(signal.SIGINT)
        try:
            output, _ = server.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            output, _ = server.communicate()
    assert "Загружены демо-данные" in output
    assert (tmp_path / "new" / "marketdesk.db").exists()


def test_kb_reload_checks_and_signals_servers(tmp_path):
    result = run("kb", "reload", "--data-dir", str(tmp_path), data_dir=tmp_path)
    loaded = int(result.stdout.split(" articles loaded", 1)[0].split()[-1])
    assert loaded >= 51  # at least one article a topic
    assert (tmp_path / "kb.reload").exists()


def test_certificate_issue_prints_codes_and_refuses_unknown_nominals(tmp_path):
    run("demo", "load", data_dir=tmp_path)
    codes = run(
        "certificate", "issue", "--nominal", "500", "--count", "3", data_dir=tmp_path
    ).stdout.split()
    assert len(codes) == len(set(codes)) == 3
    assert all(len(code) == 19 and code.count("-") == 3 for code in codes)
    bad = run("certificate", "issue", "--nominal", "501", data_dir=tmp_path, check=False)
    assert bad.returncode == 1
    assert "не выпускается" in bad.stderr


def test_certificate_issue_sends_the_code_by_sms_and_never_prints_it(tmp_path):
    """Issue 20, item 9: an electronic certificate goes to the customer in an SMS; the code
    is in no output, and the outbox keeps no text once the gateway took it."""
    import sqlite3

    run("demo", "load", data_dir=tmp_path)
    result = run(
        "certificate",
        "issue",
        "--nominal",
        "1000",
        "--phone",
        "8 (900) 555-12-34",
        data_dir=tmp_path,
    )
    assert "отправлено в SMS: 1" in result.stdout
    sms = (tmp_path / "sms-demo.log").read_text(encoding="utf-8")
    line = next(ln for ln in sms.splitlines() if "+79005551234" in ln)
    code = line.split("Код активации: ", 1)[1].split(".", 1)[0]
    assert len(code) == 19 and code.count("-") == 3
    assert code not in result.stdout + result.stderr
    assert (tmp_path / "sms-demo.log").stat().st_mode & 0o077 == 0
    with sqlite3.connect(tmp_path / "marketdesk.db") as db:
        rows = db.execute("SELECT event, channel, status, body FROM notifications").fetchall()
    assert rows == [("certificate_issued", "sms", "sent", None)]


def test_certificate_issue_refuses_what_it_cannot_deliver(tmp_path):
    run("demo", "load", data_dir=tmp_path)
    email = run(
        "certificate",
        "issue",
        "--nominal",
        "1000",
        "--email",
        "не адрес",
        data_dir=tmp_path,
        check=False,
    )
    assert email.returncode == 1 and "адрес электронной почты" in email.stderr
    plastic = run(
        "certificate",
        "issue",
        "--nominal",
        "1000",
        "--kind",
        "plastic",
        "--phone",
        "+79005551234",
        data_dir=tmp_path,
        check=False,
    )
    assert plastic.returncode == 1 and "только электронный" in plastic.stderr
    bad_phone = run(
        "certificate",
        "issue",
        "--nominal",
        "1000",
        "--phone",
        "позвоните",
        data_dir=tmp_path,
        check=False,
    )
    assert bad_phone.returncode == 1 and "номер телефона" in bad_phone.stderr


def test_tasks_escalate_from_the_command_line_reaches_the_supervisors_live(tmp_path):
    """``marketdesk tasks escalate`` in its own process: with Redis, the ``task_escalated``
    frame goes out on the supervisors' channels the servers share (the demo has an overdue
    task)."""
    import asyncio

    import redis.asyncio as aioredis

    from marketdesk.realtime import create_broker
    from tests.chat.servers import REDIS_URL, redis_available

    if not redis_available():
        pytest.skip("no Redis at " + REDIS_URL)
    run("db", "upgrade", data_dir=tmp_path)
    run("demo", "load", data_dir=tmp_path)
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'marketdesk.db'}"
    broker = create_broker(REDIS_URL, database_url)  # the servers' channel name, not opened
    channels = broker.prefix + "c:operator:*"  # the supervisors' channels

    async def main() -> tuple[str, list[dict[str, object]]]:
        client = aioredis.Redis.from_url(REDIS_URL)
        pubsub = client.pubsub()
        await pubsub.psubscribe(channels)
        await pubsub.get_message(timeout=1)  # the subscription's confirmation
        result = await asyncio.to_thread(
            run, "tasks", "escalate", data_dir=tmp_path, env={"MARKETDESK_REDIS_URL": REDIS_URL}
        )
        frames = []
        for _ in range(20):
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
            if message is not None:
                envelope = json.loads(message["data"])
                frames += [item["event"] for item in envelope.get("batch") or [envelope]]
        await pubsub.aclose()
        await client.aclose()
        return result.stdout, frames

    stdout, frames = asyncio.run(main())
    assert "Эскалировано задач:" in stdout
    escalated = [frame for frame in frames if frame.get("type") == "task_escalated"]
    assert escalated, frames
    assert escalated[0]["tasks"], escalated[0]
