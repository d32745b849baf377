"""Clean-up on a schedule (and ``marketdesk cleanup``): ended sessions, visitors who never
started a conversation, old login codes, SMS records past their retention and orphan files
go; everything still in use stays; two runs at once remove each thing once."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from marketdesk.services.auth import token_hash
from marketdesk.services.cleanup import CleanupPolicy, clean_database, clean_orphan_files
from marketdesk.store.db import Database
from marketdesk.store.models import (
    Attachment,
    Conversation,
    Customer,
    LoginCode,
    Notification,
    SecurityMessage,
    Session,
    Visitor,
    utcnow,
)
from tests.chat.conftest import ChatEnv
from tests.chat.servers import MARKETDESK

POLICY = CleanupPolicy()


def _code_sms(status: str, at: Any, key: str, sent_at: Any = None) -> Notification:
    """A login code's SMS in the outbox, its text already wiped."""
    return Notification(
        type="account",
        event="login_code",
        channel="sms",
        address="+79990000001",
        template="account/login_code.sms",
        body=None,
        secret=True,
        status=status,
        attempts=1,
        idempotency_key=f"cleanup-test:{key}:{at.isoformat()}",
        created_at=at,
        sent_at=sent_at,
    )


def _digest() -> str:
    return uuid.uuid4().hex + uuid.uuid4().hex


def _file(data_dir: Path, digest: str, *, age_minutes: float) -> Path:
    path = data_dir / "attachments" / digest[:2] / digest
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"%PDF-1.4 " + digest.encode())
    stamp = time.time() - age_minutes * 60
    os.utime(path, (stamp, stamp))
    return path


def _seed(env: ChatEnv) -> dict[str, Any]:
    """Rows and files of every kind, some past their retention and some not."""
    now = utcnow()
    old = now - timedelta(days=30)
    names: dict[str, Any] = {}

    async def work(session: Any) -> None:
        customer = Customer(
            id=95_000_000 + int(uuid.uuid4().int % 900_000),
            full_name="Покупатель для уборки",
            registered_on=date(2024, 1, 1),
        )
        session.add(customer)
        visitors = {
            "idle": Visitor(id=str(uuid.uuid4()), created_at=old),
            "chatting": Visitor(id=str(uuid.uuid4()), created_at=old),
            "new": Visitor(id=str(uuid.uuid4()), created_at=now),
            "live_token": Visitor(id=str(uuid.uuid4()), created_at=old),
        }
        session.add_all(visitors.values())
        await session.flush()
        conversation = Conversation(
            line="general", status="bot", visitor_id=visitors["chatting"].id, created_at=old
        )
        session.add(conversation)
        await session.flush()

        def token(kind: str, **values: Any) -> Session:
            row = Session(token_hash=token_hash(uuid.uuid4().hex), subject_kind=kind, **values)
            session.add(row)
            return row

        sessions = {
            "expired": token(
                "customer",
                customer_id=customer.id,
                created_at=old,
                expires_at=old + timedelta(hours=12),
            ),
            "revoked": token(
                "customer",
                customer_id=customer.id,
                created_at=old,
                expires_at=now + timedelta(days=1),
                revoked_at=old,
            ),
            "live": token(
                "customer",
                customer_id=customer.id,
                created_at=now,
                expires_at=now + timedelta(hours=12),
            ),
            "just_expired": token(
                "customer",
                customer_id=customer.id,
                created_at=now,
                expires_at=now - timedelta(minutes=1),
            ),
            "idle_visitor": token(
                "visitor",
                visitor_id=visitors["idle"].id,
                created_at=old,
                expires_at=old + timedelta(hours=12),
            ),
            "live_visitor": token(
                "visitor",
                visitor_id=visitors["live_token"].id,
                created_at=old,
                expires_at=now + timedelta(days=1),
            ),
        }
        codes = {
            "old": LoginCode(
                phone="+79990000001",
                code_hash="0" * 64,
                created_at=old,
                expires_at=old + timedelta(minutes=5),
            ),
            "fresh": LoginCode(
                phone="+79990000001",
                code_hash="1" * 64,
                created_at=now,
                expires_at=now + timedelta(minutes=5),
            ),
        }
        sms = {
            "old_sent": _code_sms("sent", old, "a", sent_at=old),
            "old_expired": _code_sms("expired", old, "b"),
            "fresh_sent": _code_sms("sent", now, "c", sent_at=now),
        }
        used = LoginCode(
            phone="+79990000001",
            code_hash="2" * 64,
            created_at=now,
            expires_at=now + timedelta(minutes=5),
            used_at=now,
        )
        session.add_all([*codes.values(), used, *sms.values()])
        await session.flush()

        def said(code: str, login_code: LoginCode | None, at: Any) -> SecurityMessage:
            return SecurityMessage(
                customer_id=customer.id,
                login_code_id=login_code.id if login_code is not None else None,
                text=f"Код для входа: {code}. Никому не сообщайте его.",
                created_at=at,
            )

        security_messages = {
            "ancient": said("111111", None, now - timedelta(days=POLICY.security_message_days + 1)),
            "expired": said("222222", codes["old"], old),
            "used": said("333333", used, now),
            "usable": said("444444", codes["fresh"], now),
        }
        session.add_all(security_messages.values())
        kept_digest = _digest()
        session.add(
            Attachment(
                conversation_id=conversation.id,
                filename="чек.pdf",
                content_type="application/pdf",
                size=10,
                sha256=kept_digest,
                uploader_kind="visitor",
                uploader_id=visitors["chatting"].id,
                created_at=old,
            )
        )
        await session.commit()
        names.update(
            visitors={k: v.id for k, v in visitors.items()},
            sessions={k: v.id for k, v in sessions.items()},
            codes={k: v.id for k, v in codes.items()},
            sms={k: v.id for k, v in sms.items()},
            security_messages={k: v.id for k, v in security_messages.items()},
            kept_digest=kept_digest,
        )

    env.run(work)
    data_dir = env.db.tmp
    names["files"] = {
        "orphan": _file(data_dir, _digest(), age_minutes=120),
        "young_orphan": _file(data_dir, _digest(), age_minutes=5),
        "referenced": _file(data_dir, names["kept_digest"], age_minutes=600),
    }
    leftover = data_dir / "attachments" / "ab" / ".abc.123.tmp"
    leftover.parent.mkdir(parents=True, exist_ok=True)
    leftover.write_bytes(b"interrupted")
    os.utime(leftover, (time.time() - 7200, time.time() - 7200))
    names["files"]["leftover"] = leftover
    return names


def _present(env: ChatEnv, model: Any, ids: dict[str, Any]) -> set[str]:
    async def work(session: Any) -> set[Any]:
        return set(await session.scalars(select(model.id).where(model.id.in_(ids.values()))))

    found = env.run(work)
    return {name for name, value in ids.items() if value in found}


def _texts(env: ChatEnv, ids: dict[str, Any]) -> dict[str, str]:
    async def work(session: Any) -> dict[Any, str]:
        rows = await session.execute(
            select(SecurityMessage.id, SecurityMessage.text).where(
                SecurityMessage.id.in_(ids.values())
            )
        )
        return {row_id: text for row_id, text in rows}

    found = env.run(work)
    return {name: found[value] for name, value in ids.items() if value in found}


def _clean(env: ChatEnv) -> Any:
    async def work(session: Any) -> Any:
        result = await clean_database(session, POLICY)
        result.files = await clean_orphan_files(session, env.db.tmp, POLICY)
        return result

    return env.run(work)


def test_cleanup_removes_what_is_past_its_retention_and_nothing_else(fresh_env: ChatEnv) -> None:
    env = fresh_env
    seeded = _seed(env)
    result = _clean(env)
    assert _present(env, Session, seeded["sessions"]) == {"live", "just_expired", "live_visitor"}
    assert _present(env, Visitor, seeded["visitors"]) == {"chatting", "new", "live_token"}
    assert _present(env, LoginCode, seeded["codes"]) == {"fresh"}
    assert _present(env, Notification, seeded["sms"]) == {"fresh_sent"}
    files = {name: path.exists() for name, path in seeded["files"].items()}
    assert files == {"orphan": False, "young_orphan": True, "referenced": True, "leftover": False}
    assert (result.sessions, result.visitors, result.login_codes, result.sms, result.files) == (
        3,
        1,
        1,
        2,
        2,
    )
    # the «Безопасность» chat: the oldest message goes, a code no longer usable is hidden
    assert _texts(env, seeded["security_messages"]) == {
        "expired": "Код для входа: ••••••. Никому не сообщайте его.",
        "used": "Код для входа: ••••••. Никому не сообщайте его.",
        "usable": "Код для входа: 444444. Никому не сообщайте его.",
    }
    assert (result.security_messages, result.codes_hidden) == (1, 2)
    # a second run finds nothing left
    again = _clean(env)
    assert (again.security_messages, again.codes_hidden) == (0, 0)
    assert (again.sessions, again.visitors, again.login_codes, again.sms, again.files) == (
        0,
        0,
        0,
        0,
        0,
    )


def test_two_cleanups_at_once_remove_each_thing_once(fresh_env: ChatEnv) -> None:
    env = fresh_env
    _seed(env)

    async def both() -> list[Any]:
        database = Database(env.db.url)
        try:
            async with database.sessions() as a, database.sessions() as b:
                return list(
                    await asyncio.gather(clean_database(a, POLICY), clean_database(b, POLICY))
                )
        finally:
            await database.dispose()

    first, second = asyncio.run(both())
    assert first.sessions + second.sessions == 3
    assert first.visitors + second.visitors == 1
    assert first.login_codes + second.login_codes == 1
    assert first.sms + second.sms == 2


def test_the_cleanup_command(fresh_env: ChatEnv) -> None:
    env = fresh_env
    seeded = _seed(env)
    done = subprocess.run(
        [str(MARKETDESK), "cleanup", "--data-dir", str(env.db.tmp)],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("MARKETDESK_")},
            "MARKETDESK_DATABASE_URL": env.db.url,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Удалено: сессий: 3, посетителей: 1, кодов входа: 1, SMS: 2,")
    assert not seeded["files"]["orphan"].exists()

    async def count(session: Any) -> int:
        return int(await session.scalar(select(func.count()).select_from(Visitor)))

    assert env.run(count) >= 3
