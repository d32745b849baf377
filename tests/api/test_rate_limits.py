"""Issue 18: abuse limits, operator-login brute force, OTP races, the client IP behind proxies,
the bounded queue. Each test runs an app of its own with tight limits, against the shared
demo database (SQLite, and PostgreSQL when configured), with the limits in memory and in a
real Redis (a key prefix of its own per test). Concurrency is real: ``asyncio.gather``
against the ASGI app, whose requests interleave on one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
import redis
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect

from marketdesk.server import create_app
from marketdesk.services import auth as auth_service
from marketdesk.services.errors import RateLimited
from marketdesk.store.models import AuditEntry, Notification
from tests import conftest as base
from tests.chat.servers import REDIS_URL, redis_available
from tests.conftest import DEMO_PASSWORD, auth, run_db
from tests.errors import assert_error

_ips = itertools.count(1)


def _ip() -> str:
    """A client address of the test's own (198.18.0.0/15 is for benchmarks)."""
    n = next(_ips)
    return f"198.18.{n // 250}.{n % 250 + 1}"


@pytest.fixture(params=["memory", "redis"])
def storage(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    """Where the app's limiter counts: its memory, or Redis under a prefix of its own."""
    if request.param == "memory":
        yield {}
        return
    if not redis_available():
        pytest.skip("no Redis server")
    prefix = f"marketdesk-test:{uuid.uuid4().hex}"
    yield {"redis_url": REDIS_URL, "rate_limit_prefix": prefix}
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


TIGHT: dict[str, Any] = {"rate_limit_scale": 1.0, "open_conversations_per_line": 1000}
# the tight limits below are per day: a sliding window counter weighs the window before, and a
# burst that crossed the turn of a minute could get one more in (by design); a day's turn is
# not crossed by a test


@contextlib.asynccontextmanager
async def running(
    db: base.TestDatabase, peer: str | None = None, **overrides: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """An app of its own (its lifespan run) and a client whose requests come from ``peer``."""
    app = create_app(db.settings(**{**TIGHT, **overrides}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=(peer or _ip(), 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


def _refused(response: httpx.Response) -> None:
    error = assert_error(response, 429, "rate_limited")
    assert "через" in error["message"] or "Закройте" in error["message"]
    assert int(response.headers["retry-after"]) >= 1
    assert error["retry_after"] == int(response.headers["retry-after"])


# --------------------------------------------------------------------------- the client IP


def test_the_client_ip_is_the_peer_unless_the_peer_is_a_trusted_proxy() -> None:
    from marketdesk.services.rate_limits import client_ip

    proxies = _settings(trusted_proxies="10.0.0.0/8, 192.168.1.1").trusted_networks
    # no proxy trusted: the header is a client's word, ignored
    assert client_ip("203.0.113.7", "1.2.3.4", ()) == "203.0.113.7"
    # from an untrusted peer: ignored too
    assert client_ip("203.0.113.7", "1.2.3.4", proxies) == "203.0.113.7"
    # from a trusted proxy: the nearest address that is not a proxy of ours
    assert client_ip("10.1.2.3", "1.2.3.4", proxies) == "1.2.3.4"
    assert client_ip("10.1.2.3", "6.6.6.6, 1.2.3.4, 10.9.9.9", proxies) == "1.2.3.4"
    assert client_ip("192.168.1.1", "2001:db8::1", proxies) == "2001:db8::1"
    # a forged or broken entry stops the walk: what lies beyond cannot be believed
    assert client_ip("10.1.2.3", "1.2.3.4, bogus", proxies) == "10.1.2.3"
    assert client_ip("10.1.2.3", "", proxies) == "10.1.2.3"
    # only proxies in the chain: the leftmost
    assert client_ip("10.1.2.3", "10.0.0.5", proxies) == "10.0.0.5"


def _settings(**values: Any) -> Any:
    from marketdesk.settings import Settings

    return Settings(**values)


def test_bad_trusted_proxies_are_refused_at_start() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        _settings(trusted_proxies="10.0.0.0/8, not-a-network")
    with pytest.raises(ValidationError):
        _settings(rate_messages="lots")


# --------------------------------------------------------------------------- operator logins


def _login(client: httpx.AsyncClient, login: str, password: str, **headers: str) -> Any:
    return client.post(
        "/api/v1/auth/login", json={"login": login, "password": password}, headers=headers
    )


def test_fifty_wrong_passwords_then_the_right_one_is_locked_out(
    demo_db: base.TestDatabase, storage: dict[str, Any]
) -> None:
    ip = _ip()

    async def main() -> None:
        async with running(demo_db, peer=ip, **storage) as client:
            answers = [(await _login(client, "admin", f"guess-{n}")) for n in range(50)]
            assert [a.status_code for a in answers[:5]] == [401] * 5
            for answer in answers[5:]:
                _refused(answer)
            right = await _login(client, "admin", DEMO_PASSWORD)
            _refused(right)
            assert "неудачных попыток входа" in right.json()["error"]["message"]

    asyncio.run(main())

    async def failures(session: Any) -> list[AuditEntry]:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "auth.login_failed")
        )
        return [r for r in rows if r.details.get("ip") == ip]

    audited = run_db(demo_db, failures)
    # every password that was checked and failed is audited; refusals in the lockout are not
    # checked at all
    assert len(audited) == 5
    assert {a.details["login"] for a in audited} == {"admin"}
    assert {a.details["reason"] for a in audited} == {"wrong_password"}
    assert audited[-1].details["lockout_seconds"] == 60


def test_an_unknown_login_is_locked_out_exactly_like_a_real_one(
    demo_db: base.TestDatabase, storage: dict[str, Any]
) -> None:
    async def answers(login: str) -> list[tuple[int, dict[str, Any], str | None]]:
        async with running(demo_db, **storage) as client:
            found = []
            for n in range(7):
                response = await _login(client, login, f"guess-{n}")
                found.append(
                    (response.status_code, response.json(), response.headers.get("retry-after"))
                )
            return found

    real = asyncio.run(answers("operator"))
    unknown = asyncio.run(answers(f"nobody-{uuid.uuid4().hex[:8]}"))
    assert [status for status, _, _ in real] == [401] * 5 + [429] * 2
    assert real == unknown  # no oracle: the same answers, the same lockout


def test_parallel_guesses_check_no_more_passwords_than_the_threshold(
    demo_db: base.TestDatabase, storage: dict[str, Any]
) -> None:
    async def main() -> None:
        async with running(demo_db, **storage) as client:
            answers = await asyncio.gather(
                *(_login(client, "supervisor", f"guess-{n}") for n in range(30))
            )
            statuses = sorted(a.status_code for a in answers)
            assert statuses == [401] * 5 + [429] * 25, statuses
            _refused(await _login(client, "supervisor", DEMO_PASSWORD))

    asyncio.run(main())


def test_a_success_clears_the_logins_failures(
    demo_db: base.TestDatabase, storage: dict[str, Any]
) -> None:
    async def main() -> None:
        async with running(demo_db, **storage) as client:
            for n in range(4):
                assert (await _login(client, "backoffice", f"guess-{n}")).status_code == 401
            assert (await _login(client, "backoffice", DEMO_PASSWORD)).status_code == 200
            for n in range(4):  # four more: still no lockout
                assert (await _login(client, "backoffice", f"again-{n}")).status_code == 401
            assert (await _login(client, "backoffice", DEMO_PASSWORD)).status_code == 200

    asyncio.run(main())


def test_the_lockout_doubles_with_each_failure_after_it(storage: dict[str, Any]) -> None:
    from marketdesk.services.rate_limits import RateLimiter

    async def main() -> None:
        limiter = RateLimiter.from_settings(_settings(rate_limit_scale=1.0, **storage))
        try:
            login, ip = f"someone-{uuid.uuid4().hex[:6]}", _ip()
            locks = []
            for _ in range(8):
                attempt = await limiter.login_attempt(login, ip)
                assert attempt is not None
                locks.append(await attempt.failed())
                # the lockout is over (as if its time had passed): the next attempt is let in
                for key, _threshold in attempt.counters():
                    await limiter._storage_call("clear", key + ":lock")
            assert locks == [0, 0, 0, 0, 60, 120, 240, 480]
        finally:
            await limiter.aclose()

    asyncio.run(main())


def test_many_logins_from_one_ip_are_locked_out_too(
    demo_db: base.TestDatabase, storage: dict[str, Any]
) -> None:
    async def main() -> None:
        async with running(demo_db, rate_login_failures_per_ip=6, **storage) as client:
            logins = [f"spray-{uuid.uuid4().hex[:6]}" for _ in range(8)]
            statuses = [(await _login(client, login, "123456")).status_code for login in logins]
            assert statuses == [401] * 6 + [429] * 2
        # another address is not held
        async with running(demo_db, rate_login_failures_per_ip=6, **storage) as other:
            assert (await _login(other, "operator", DEMO_PASSWORD)).status_code == 200

    asyncio.run(main())


def test_the_password_check_does_not_hold_up_other_requests(
    demo_db: base.TestDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """argon2 runs off the event loop: while a password is being checked, /healthz answers.
    (Were it on the loop, /healthz could not be served until the check gave up waiting.)"""
    checking = threading.Event()
    answered = threading.Event()
    released_in_time: list[bool] = []

    class WatchedHasher(PasswordHasher):
        def verify(self, hash: Any, password: Any) -> bool:
            checking.set()
            released_in_time.append(answered.wait(timeout=10))
            return super().verify(hash, password)

    monkeypatch.setattr(auth_service, "_hasher", WatchedHasher())

    async def main() -> None:
        async with running(demo_db) as client:
            login = asyncio.create_task(_login(client, "operator", DEMO_PASSWORD))
            await asyncio.to_thread(checking.wait, 10)
            health = await client.get("/healthz")
            assert health.status_code == 200
            answered.set()
            assert (await login).status_code == 200

    asyncio.run(main())
    assert released_in_time == [True]


# --------------------------------------------------------------------------- visitors, chats


def test_visitors_from_one_ip_are_limited(
    demo_db: base.TestDatabase, storage: dict[str, Any]
) -> None:
    async def main() -> None:
        async with running(demo_db, rate_visitors_per_ip="5/day", **storage) as client:
            answers = await asyncio.gather(*(client.post("/api/v1/visitors") for _ in range(12)))
            assert sorted(a.status_code for a in answers) == [201] * 5 + [429] * 7
            _refused(next(a for a in answers if a.status_code == 429))

    asyncio.run(main())


def test_a_visitors_opening_counts_as_a_visitor_a_conversation_and_a_message(
    demo_db: base.TestDatabase, storage: dict[str, Any]
) -> None:
    async def main() -> None:
        tight = {"rate_visitors_per_ip": "5/day", "rate_conversations_per_ip": "3/day"}
        async with running(demo_db, rate_messages_per_ip="2/day", **tight, **storage) as client:

            async def arrive(text: str | None) -> httpx.Response:
                opening: dict[str, Any] = {"line": "general"}
                if text is not None:
                    opening["first_message"] = {"client_msg_id": uuid.uuid4().hex, "text": text}
                return await client.post("/api/v1/visitors", json={"conversation": opening})

            assert (await arrive("привет")).status_code == 201
            assert (await arrive("ещё вопрос")).status_code == 201
            _refused(await arrive("третий"))  # the IP's third message of the day
            assert (await arrive(None)).status_code == 201  # a conversation without one
            _refused(await arrive(None))  # the IP's fourth conversation
            # three visitors so far: the refused ones made none, so two more are let in
            for _ in range(2):
                assert (await client.post("/api/v1/visitors")).status_code == 201
            _refused(await client.post("/api/v1/visitors"))

    asyncio.run(main())


def test_behind_a_trusted_proxy_each_client_has_its_own_count(
    demo_db: base.TestDatabase, storage: dict[str, Any]
) -> None:
    async def main() -> None:
        settings = {"rate_visitors_per_ip": "2/day", "trusted_proxies": "10.20.0.0/16"}
        async with running(demo_db, peer="10.20.0.1", **settings, **storage) as proxy:
            for client_address in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
                headers = {"X-Forwarded-For": client_address}
                for _ in range(2):
                    assert (
                        await proxy.post("/api/v1/visitors", headers=headers)
                    ).status_code == 201
                _refused(await proxy.post("/api/v1/visitors", headers=headers))
        # a peer that is not a proxy of ours cannot pick its address
        async with running(demo_db, **settings, **storage) as liar:
            for n in range(2):
                headers = {"X-Forwarded-For": f"203.0.113.{50 + n}"}
                assert (await liar.post("/api/v1/visitors", headers=headers)).status_code == 201
            _refused(await liar.post("/api/v1/visitors", headers={"X-Forwarded-For": "1.1.1.1"}))

    asyncio.run(main())


async def _visitor(client: httpx.AsyncClient) -> str:
    response = await client.post("/api/v1/visitors")
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


def test_conversations_of_one_visitor_are_limited(
    demo_db: base.TestDatabase, storage: dict[str, Any]
) -> None:
    async def main() -> None:
        async with running(demo_db, rate_conversations="4/day", **storage) as client:
            token = await _visitor(client)
            answers = await asyncio.gather(
                *(
                    client.post(
                        "/api/v1/conversations", json={"line": "general"}, headers=auth(token)
                    )
                    for _ in range(10)
                )
            )
            assert sorted(a.status_code for a in answers) == [201] * 4 + [429] * 6
            # another visitor is not held by the first one's count
            other = await _visitor(client)
            created = await client.post(
                "/api/v1/conversations", json={"line": "general"}, headers=auth(other)
            )
            assert created.status_code == 201

    asyncio.run(main())


def test_a_visitor_holds_a_few_open_conversations_per_line_and_then_gets_the_latest(
    demo_db: base.TestDatabase,
) -> None:
    async def main() -> None:
        async with running(demo_db, open_conversations_per_line=2) as client:
            token = await _visitor(client)

            async def create(line: str = "general") -> httpx.Response:
                return await client.post(
                    "/api/v1/conversations", json={"line": line}, headers=auth(token)
                )

            first, second = (await create()).json(), (await create()).json()
            assert first["id"] != second["id"]
            answers = await asyncio.gather(*(create() for _ in range(5)))
            # no new conversation: the most recent open one, answered 200
            assert {a.status_code for a in answers} == {200}
            assert {a.json()["id"] for a in answers} == {second["id"]}
            # another line has room of its own
            seller = await client.post(
                "/api/v1/conversations", json={"line": "seller", **_SELLER}, headers=auth(token)
            )
            assert seller.status_code == 201, seller.text
            # a closed conversation no longer counts
            closed = await client.post(
                f"/api/v1/conversations/{second['id']}/close", headers=auth(token)
            )
            assert closed.status_code == 200, closed.text
            third = await create()
            assert third.status_code == 201
            assert third.json()["id"] not in (first["id"], second["id"])

    asyncio.run(main())


def test_messages_of_one_visitor_are_limited(
    demo_db: base.TestDatabase, storage: dict[str, Any]
) -> None:
    async def main() -> None:
        async with running(demo_db, rate_messages="6/day", **storage) as client:
            token = await _visitor(client)
            conversation = (
                await client.post(
                    "/api/v1/conversations", json={"line": "general"}, headers=auth(token)
                )
            ).json()
            answers = await asyncio.gather(
                *(
                    client.post(
                        f"/api/v1/conversations/{conversation['id']}/messages",
                        json={"client_msg_id": uuid.uuid4().hex, "text": f"привет {n}"},
                        headers=auth(token),
                    )
                    for n in range(15)
                )
            )
            assert sorted(a.status_code for a in answers) == [201] * 6 + [429] * 9
            _refused(next(a for a in answers if a.status_code == 429))
            messages = await client.get(
                f"/api/v1/conversations/{conversation['id']}/messages", headers=auth(token)
            )
            mine = [m for m in messages.json()["messages"] if m["sender_kind"] == "visitor"]
            assert len(mine) == 6

    asyncio.run(main())


def test_a_first_message_sent_with_the_opening_counts_as_a_message(
    demo_db: base.TestDatabase, storage: dict[str, Any]
) -> None:
    async def main() -> None:
        async with running(demo_db, rate_messages="2/day", **storage) as client:
            token = await _visitor(client)

            async def open_with(text: str) -> httpx.Response:
                first = {"client_msg_id": uuid.uuid4().hex, "text": text}
                return await client.post(
                    "/api/v1/conversations",
                    json={"line": "general", "first_message": first},
                    headers=auth(token),
                )

            opened = await open_with("привет")
            assert opened.status_code == 201, opened.text
            more = await client.post(
                f"/api/v1/conversations/{opened.json()['id']}/messages",
                json={"client_msg_id": uuid.uuid4().hex, "text": "ещё вопрос"},
                headers=auth(token),
            )
            assert more.status_code == 201, more.text
            _refused(await open_with("и ещё"))  # the third message of the day
            mine = await client.get("/api/v1/conversations", headers=auth(token))
            assert [c["id"] for c in mine.json()["conversations"]] == [opened.json()["id"]]

    asyncio.run(main())


# --------------------------------------------------------------------------- sockets


def _ws_auth(ws: Any, token: str) -> dict[str, Any]:
    ws.send_json({"type": "auth", "token": token, "last_seq": 0})
    return dict(ws.receive_json())


def test_open_sockets_and_socket_sends_are_limited(
    demo_db: base.TestDatabase, storage: dict[str, Any]
) -> None:
    settings = demo_db.settings(**TIGHT, rate_sockets=2, rate_messages="3/day", **storage)
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False, client=(_ip(), 50000)) as client:
        token = client.post("/api/v1/visitors").json()["token"]
        conversation = client.post(
            "/api/v1/conversations", json={"line": "general"}, headers=auth(token)
        ).json()
        path = f"/ws/conversations/{conversation['id']}"
        with client.websocket_connect(path) as first, client.websocket_connect(path) as second:
            assert _ws_auth(first, token)["type"] == "ready"
            assert _ws_auth(second, token)["type"] == "ready"
            with client.websocket_connect(path) as third:
                refused = _ws_auth(third, token)
                assert refused["type"] == "error" and refused["code"] == "rate_limited"
                assert "окон чата" in refused["message"]
                with pytest.raises(WebSocketDisconnect) as closed:
                    third.receive_json()
                assert (closed.value.code, closed.value.reason) == (1008, "too many open sockets")
            # sends over a socket count like any others
            for n in range(5):
                first.send_json({"type": "message", "client_msg_id": f"m{n}", "text": f"т{n}"})
            acks, errors = [], []
            while len(acks) + len(errors) < 5:
                frame = first.receive_json()
                if frame["type"] == "ack":
                    acks.append(frame)
                elif frame["type"] == "error":
                    errors.append(frame)
            assert len(acks) == 3
            assert {e["code"] for e in errors} == {"rate_limited"}
            assert {e["client_msg_id"] for e in errors} == {"m3", "m4"}
        # both closed: their places are free again
        with client.websocket_connect(path) as again:
            assert _ws_auth(again, token)["type"] == "ready"


# --------------------------------------------------------------------------- tasks, certificates


def test_description_error_reports_of_one_customer_are_limited(
    demo_db: base.TestDatabase, storage: dict[str, Any], new_customer: Callable[..., Any]
) -> None:
    _, token = new_customer()

    async def main() -> None:
        async with running(demo_db, rate_tasks="3/day", **storage) as client:
            answers = await asyncio.gather(
                *(
                    client.post(
                        "/api/v1/products/483491476/inaccuracy",
                        json={"text": f"На фото другой цвет {n}"},
                        headers=auth(token),
                    )
                    for n in range(10)
                )
            )
            assert sorted(a.status_code for a in answers) == [200] * 3 + [429] * 7
            _refused(next(a for a in answers if a.status_code == 429))

    asyncio.run(main())


def test_certificate_guessing_is_limited(
    demo_db: base.TestDatabase, storage: dict[str, Any], new_customer: Callable[..., Any]
) -> None:
    _, token = new_customer()

    async def main() -> None:
        async with running(demo_db, rate_certificates="4/day", **storage) as client:
            statuses = []
            for _ in range(7):
                guess = "".join(random.choices("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", k=16))
                response = await client.post(
                    "/api/v1/me/certificates/activate", json={"code": guess}, headers=auth(token)
                )
                statuses.append(response.status_code)
            assert 429 not in statuses[:4]
            assert statuses[4:] == [429] * 3

    asyncio.run(main())


# --------------------------------------------------------------------------- login codes


def _sms_count(db: base.TestDatabase, phone: str) -> int:
    async def work(session: Any) -> int:
        query = select(Notification).where(Notification.address == phone)
        return len(list(await session.scalars(query)))

    return int(run_db(db, work))


def _phone() -> str:
    return "+7998" + "".join(random.choices("0123456789", k=7))


def test_thirty_parallel_code_requests_send_one_sms(
    demo_db: base.TestDatabase, storage: dict[str, Any], new_customer: Callable[..., Any]
) -> None:
    phone = _phone()
    new_customer(phone=phone)

    async def main() -> list[httpx.Response]:
        async with running(demo_db, **storage) as client:
            answers = await asyncio.gather(
                *(client.post("/api/v1/auth/phone/code", json={"phone": phone}) for _ in range(30))
            )
            return list(answers)

    answers = asyncio.run(main())
    assert _sms_count(demo_db, phone) == 1
    assert sorted(a.status_code for a in answers) == [200] + [429] * 29
    for answer in answers:
        if answer.status_code == 429:
            _refused(answer)


def test_parallel_code_requests_from_one_ip_keep_its_limit(
    demo_db: base.TestDatabase, storage: dict[str, Any]
) -> None:
    phones = [_phone() for _ in range(12)]

    async def main() -> list[int]:
        async with running(demo_db, rate_codes_per_ip="5/day", **storage) as client:
            answers = await asyncio.gather(
                *(client.post("/api/v1/auth/phone/code", json={"phone": p}) for p in phones)
            )
            return sorted(a.status_code for a in answers)

    assert asyncio.run(main()) == [200] * 5 + [429] * 7


def test_behind_a_proxy_code_requests_count_per_customer_address(
    demo_db: base.TestDatabase, storage: dict[str, Any]
) -> None:
    """The per-IP limit of codes keys on the customer's address, not the proxy's: behind a
    proxy it does not lock everyone out once 20 customers logged in within an hour."""

    async def main() -> None:
        settings = {"trusted_proxies": "10.30.0.1", **storage}
        async with running(demo_db, peer="10.30.0.1", **settings) as proxy:
            for n in range(25):
                response = await proxy.post(
                    "/api/v1/auth/phone/code",
                    json={"phone": _phone()},
                    headers={"X-Forwarded-For": _ip()},
                )
                assert response.status_code == 200, (n, response.text)
            # one customer address still has its limit of 20 an hour
            address = {"X-Forwarded-For": _ip()}
            for _ in range(20):
                response = await proxy.post(
                    "/api/v1/auth/phone/code", json={"phone": _phone()}, headers=address
                )
                assert response.status_code == 200
            _refused(
                await proxy.post(
                    "/api/v1/auth/phone/code", json={"phone": _phone()}, headers=address
                )
            )

    asyncio.run(main())


# --------------------------------------------------------------------------- two servers


def test_two_servers_on_one_redis_share_the_counts(demo_db: base.TestDatabase) -> None:
    if not redis_available():
        pytest.skip("no Redis server")
    prefix = f"marketdesk-test:{uuid.uuid4().hex}"
    ip = _ip()

    async def main() -> list[int]:
        shared = {"redis_url": REDIS_URL, "rate_limit_prefix": prefix}
        settings = {"rate_visitors_per_ip": "6/day", **shared}
        async with (
            running(demo_db, peer=ip, **settings) as first,
            running(demo_db, peer=ip, **settings) as second,
        ):
            answers = await asyncio.gather(
                *(c.post("/api/v1/visitors") for c in [first, second] * 6)
            )
            return sorted(a.status_code for a in answers)

    try:
        assert asyncio.run(main()) == [201] * 6 + [429] * 6
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
        client.close()


# --------------------------------------------------------------------------- who hit them


def test_supervisors_see_who_hit_the_limits(
    demo_db: base.TestDatabase, storage: dict[str, Any], tokens: dict[str, str]
) -> None:
    ip = _ip()

    async def main() -> None:
        async with running(demo_db, peer=ip, rate_visitors_per_ip="1/day", **storage) as client:
            for _ in range(4):
                await client.post("/api/v1/visitors")
            for _ in range(6):
                await _login(client, "nobody-here", "x")
            for role in ("supervisor", "admin"):
                response = await client.get("/api/v1/rate-limits/hits", headers=auth(tokens[role]))
                assert response.status_code == 200, response.text
                hits = response.json()["hits"]
                visitors = next(h for h in hits if h["kind"] == "visitors")
                assert visitors == {**visitors, "scope": "ip", "key": ip, "count": 3}
                logins = next(h for h in hits if h["kind"] == "login")
                assert logins["count"] == 1 and "nobody-here" not in logins["key"]
            for role in ("operator", "backoffice", "visitor", "customer"):
                response = await client.get("/api/v1/rate-limits/hits", headers=auth(tokens[role]))
                assert response.status_code == 403

    asyncio.run(main())


# --------------------------------------------------------------------------- the queue


def test_the_queue_is_paged_without_transcripts(demo_db: base.TestDatabase) -> None:
    async def main() -> None:
        async with running(demo_db) as client:
            ids = []
            for n in range(5):
                token = await _visitor(client)
                conversation = (
                    await client.post(
                        "/api/v1/conversations",
                        json={"line": "seller", **_SELLER},
                        headers=auth(token),
                    )
                ).json()
                handoff = await client.post(
                    f"/api/v1/conversations/{conversation['id']}/handoff", headers=auth(token)
                )
                assert handoff.status_code == 200, handoff.text
                sent = await client.post(
                    f"/api/v1/conversations/{conversation['id']}/messages",
                    json={"client_msg_id": uuid.uuid4().hex, "text": f"вопрос {n} " + "я" * 500},
                    headers=auth(token),
                )
                assert sent.status_code == 201, sent.text
                ids.append(conversation["id"])
            supervisor = await _operator_token(client, "supervisor")

            async def queue(**params: Any) -> httpx.Response:
                return await client.get(
                    "/api/v1/queue/seller", params=params, headers=auth(supervisor)
                )

            first = await queue()
            assert first.status_code == 200
            total = first.json()["total"]
            assert total >= 5
            assert first.json()["limit"] == 50 and first.json()["offset"] == 0
            assert len(first.json()["items"]) == min(total, 50)
            # oldest first: ours are the last five
            last = (await queue(limit=5, offset=total - 5)).json()
            assert last["total"] == total and last["limit"] == 5
            assert [item["conversation"]["id"] for item in last["items"]] == ids
            for n, item in enumerate(last["items"]):
                assert set(item) == {"conversation", "preview"}  # no transcript
                assert item["preview"].startswith(f"вопрос {n} ")
                assert len(item["preview"]) == 200
            two = (await queue(limit=2, offset=total - 4)).json()
            assert [item["conversation"]["id"] for item in two["items"]] == ids[1:3]
            assert (await queue(limit=201)).status_code == 422
            assert (await queue(offset=-1)).status_code == 422

    asyncio.run(main())


_SELLER = {"seller_topic": "Акции", "seller_subtopic": "Участие в промоакции"}


async def _operator_token(client: httpx.AsyncClient, login: str) -> str:
    response = await _login(client, login, DEMO_PASSWORD)
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


# --------------------------------------------------------------------------- Redis away


def test_with_redis_away_the_limits_count_in_memory_instead_of_failing() -> None:
    from marketdesk.services.rate_limits import RateLimiter

    async def main() -> None:
        limiter = RateLimiter.from_settings(
            _settings(
                rate_limit_scale=1.0,
                rate_visitors_per_ip="3/day",
                redis_url="redis://127.0.0.1:1/0",  # nothing listens there
            )
        )
        try:
            for _ in range(3):
                await limiter.check("visitors", ip="203.0.113.9")
            with pytest.raises(RateLimited) as refused:
                await limiter.check("visitors", ip="203.0.113.9")
            assert refused.value.retry_after is not None
            [hit] = await limiter.hits()
            assert (hit.kind, hit.scope, hit.key, hit.count) == ("visitors", "ip", "203.0.113.9", 1)
            attempt = await limiter.login_attempt("operator", "203.0.113.9")
            assert attempt is not None
            await attempt.succeeded()
        finally:
            await limiter.aclose()

    asyncio.run(main())


def test_with_the_limits_off_nothing_is_refused(demo_db: base.TestDatabase) -> None:
    async def main() -> None:
        async with running(
            demo_db, rate_limits_enabled=False, rate_visitors_per_ip="1/day"
        ) as client:
            answers = [await client.post("/api/v1/visitors") for _ in range(3)]
            assert [a.status_code for a in answers] == [201] * 3
            for n in range(7):
                assert (await _login(client, "operator", f"guess-{n}")).status_code == 401

    asyncio.run(main())
