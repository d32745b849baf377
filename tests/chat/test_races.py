"""Take, transfer, resolve, close and «позвать оператора», repeated and raced: never a 500.

A repeat answers what a user expects of a double click or a retry (issue 18):
- the same call again, when it has nothing left to do, is 200 with the conversation as it is
  (closing a closed conversation, resolving a resolved one, taking one's own conversation,
  transferring to the operator or the queue it is already with, calling an operator again);
- a call the state no longer allows is 409 with its code: ``not_queued`` (someone else took
  it, or it is closed), ``conversation_closed`` (resolving or calling an operator into a
  closed conversation), ``not_transferable``, ``at_capacity``.

The races are real: the same request many times at once, through the ASGI application
(``httpx.AsyncClient``) with its lifespan, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from marketdesk.server import create_app
from marketdesk.services.chat import texts as chat
from tests.chat.conftest import ChatEnv, auth
from tests.errors import assert_error

Work = Callable[[httpx.AsyncClient], Awaitable[Any]]
N = 8  # requests raced at once


def _run(env: ChatEnv, work: Work) -> Any:
    """``await work(client)`` against a second application on the test database, running
    its lifespan (broker, chat writer) in this event loop."""

    async def main() -> Any:
        app = create_app(env.db.settings())
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await work(client)

    return asyncio.run(main())


def _race(env: ChatEnv, calls: list[tuple[str, str, Any]]) -> list[httpx.Response]:
    """Every ``(token, path, body)`` POSTed at the same time."""

    async def work(client: httpx.AsyncClient) -> list[httpx.Response]:
        return list(
            await asyncio.gather(
                *(client.post(path, json=body, headers=auth(token)) for token, path, body in calls)
            )
        )

    return list(_run(env, work))


def _queued(env: ChatEnv) -> tuple[int, str]:
    """A customer's conversation waiting in the general queue → (id, customer token)."""
    _, token = env.customer()
    conversation = env.conversation(token)
    response = env.post(token, f"/api/v1/conversations/{conversation['id']}/handoff")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "queued"
    return conversation["id"], token


def _assigned(env: ChatEnv, **operator: Any) -> tuple[int, str, int, str]:
    """A conversation taken by a new operator → (id, customer token, operator id, token)."""
    cid, customer = _queued(env)
    op_id, op = env.operator(**operator)
    response = env.post(op, f"/api/v1/conversations/{cid}/take")
    assert response.status_code == 200, response.text
    return cid, customer, op_id, op


def _supervisor(env: ChatEnv) -> str:
    return env.operator(roles=("supervisor",), lines=("general", "seller", "travel_priority"))[1]


def _codes(responses: list[httpx.Response]) -> Counter[tuple[int, str | None]]:
    counted: Counter[tuple[int, str | None]] = Counter()
    for response in responses:
        assert response.status_code < 500, response.text
        body = response.json()
        code = body["error"]["code"] if response.status_code >= 400 else None
        counted[(response.status_code, code)] += 1
    return counted


def _system_texts(env: ChatEnv, token: str, cid: int) -> list[str]:
    return [m["text"] for m in env.messages(token, cid) if m["sender_kind"] == "system"]


# --------------------------------------------------------------------------- one after another


def test_closing_twice_answers_the_closed_conversation_both_times(env: ChatEnv) -> None:
    for who in ("customer", "visitor", "operator"):
        if who == "visitor":
            token = env.visitor()
            cid = env.conversation(token)["id"]
            closer = token
        else:
            cid, token, _, op = _assigned(env)
            closer = token if who == "customer" else op
        for _ in range(3):
            response = env.post(closer, f"/api/v1/conversations/{cid}/close")
            assert response.status_code == 200, (who, response.text)
            assert response.json()["status"] == "closed"
        assert _system_texts(env, token, cid).count(chat.TEXT_CLOSED) == 1


def test_taking_twice_is_the_same_conversation_and_another_operator_gets_409(
    env: ChatEnv,
) -> None:
    cid, token = _queued(env)
    op_id, op = env.operator()
    for _ in range(3):
        response = env.post(op, f"/api/v1/conversations/{cid}/take")
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "assigned"
        assert response.json()["assigned_operator_id"] == op_id
    _, other = env.operator()
    response = env.post(other, f"/api/v1/conversations/{cid}/take")
    assert_error(response, 409, "not_queued")
    assert _system_texts(env, token, cid).count(chat.TEXT_ASSIGNED) == 1


def test_taking_beyond_capacity_is_409_with_the_capacity(env: ChatEnv) -> None:
    _, op = env.operator(capacity=1)
    first, _ = _queued(env)
    second, _ = _queued(env)
    assert env.post(op, f"/api/v1/conversations/{first}/take").status_code == 200
    for _ in range(2):
        response = env.post(op, f"/api/v1/conversations/{second}/take")
        assert response.status_code == 409, response.text
        assert response.json()["error"] == {
            "code": "at_capacity",
            "message": "Достигнут ваш предел одновременных диалогов: 1.",
        }


def test_resolving_twice_answers_the_resolved_conversation(env: ChatEnv) -> None:
    cid, token, _, op = _assigned(env)
    for _ in range(3):
        response = env.post(op, f"/api/v1/conversations/{cid}/resolve")
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "resolved"
    assert _system_texts(env, token, cid).count(chat.TEXT_RESOLVED) == 1


def test_transferring_twice_to_the_same_operator_or_line_changes_nothing_more(
    env: ChatEnv,
) -> None:
    cid, token, _, op = _assigned(env)
    target_id, _ = env.operator()
    for _ in range(3):
        response = env.post(
            op, f"/api/v1/conversations/{cid}/transfer", {"to_operator_id": target_id}
        )
        assert response.status_code == 200, response.text
        assert response.json()["assigned_operator_id"] == target_id
    supervisor = _supervisor(env)
    for _ in range(3):
        response = env.post(
            supervisor, f"/api/v1/conversations/{cid}/transfer", {"to_line": "seller"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["line"] == "seller"
    texts = _system_texts(env, token, cid)
    assert texts.count(chat.TEXT_TRANSFERRED_OPERATOR) == 1
    assert texts.count(chat.TEXT_TRANSFERRED_LINE.format(line="Поддержка продавцов")) == 1


def test_calling_an_operator_twice_queues_once(env: ChatEnv) -> None:
    _, token = env.customer()
    cid = env.conversation(token)["id"]
    for _ in range(3):
        response = env.post(token, f"/api/v1/conversations/{cid}/handoff")
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "queued"
    assert len(_system_texts(env, token, cid)) == 1


def test_a_closed_conversation_refuses_every_lifecycle_step_with_409(env: ChatEnv) -> None:
    cid, token, _, op = _assigned(env)
    assert env.post(token, f"/api/v1/conversations/{cid}/close").status_code == 200
    supervisor = _supervisor(env)
    refused = [
        (op, "take", None, "not_queued"),
        (op, "resolve", None, "conversation_closed"),
        (supervisor, "transfer", {"to_line": "seller"}, "not_transferable"),
        (token, "handoff", None, "conversation_closed"),
    ]
    for who, action, body, code in refused:
        for _ in range(2):
            response = env.post(who, f"/api/v1/conversations/{cid}/{action}", body)
            assert_error(response, 409, code)


# --------------------------------------------------------------------------- at the same time


def test_the_same_take_at_once_assigns_once(env: ChatEnv) -> None:
    cid, token = _queued(env)
    op_id, op = env.operator()
    responses = _race(env, [(op, f"/api/v1/conversations/{cid}/take", None)] * N)
    assert _codes(responses) == {(200, None): N}
    assert {r.json()["assigned_operator_id"] for r in responses} == {op_id}
    assert _system_texts(env, token, cid).count(chat.TEXT_ASSIGNED) == 1


def test_two_operators_taking_at_once_one_wins_the_other_gets_409(env: ChatEnv) -> None:
    cid, token = _queued(env)
    (a_id, a), (b_id, b) = env.operator(), env.operator()
    path = f"/api/v1/conversations/{cid}/take"
    responses = _race(env, [(a, path, None), (b, path, None)] * (N // 2))
    assert _codes(responses) == {(200, None): N // 2, (409, "not_queued"): N // 2}
    winner = env.get(token, cid)
    assert winner["status"] == "assigned"
    assert {r.json()["assigned_operator_id"] for r in responses if r.status_code == 200} <= {
        a_id,
        b_id,
    }
    assert _system_texts(env, token, cid).count(chat.TEXT_ASSIGNED) == 1


def test_the_same_resolve_at_once_resolves_once(env: ChatEnv) -> None:
    cid, token, _, op = _assigned(env)
    responses = _race(env, [(op, f"/api/v1/conversations/{cid}/resolve", None)] * N)
    assert _codes(responses) == {(200, None): N}
    assert {r.json()["status"] for r in responses} == {"resolved"}
    assert _system_texts(env, token, cid).count(chat.TEXT_RESOLVED) == 1


def test_the_customer_closing_at_once_closes_once(env: ChatEnv) -> None:
    cid, token, _, _ = _assigned(env)
    responses = _race(env, [(token, f"/api/v1/conversations/{cid}/close", None)] * N)
    assert _codes(responses) == {(200, None): N}
    assert {r.json()["status"] for r in responses} == {"closed"}
    assert _system_texts(env, token, cid).count(chat.TEXT_CLOSED) == 1


def test_customer_and_operator_closing_at_once_close_once(env: ChatEnv) -> None:
    cid, token, _, op = _assigned(env)
    path = f"/api/v1/conversations/{cid}/close"
    responses = _race(env, [(token, path, None), (op, path, None)] * (N // 2))
    assert _codes(responses) == {(200, None): N}
    assert _system_texts(env, token, cid).count(chat.TEXT_CLOSED) == 1


def test_resolve_close_and_take_at_once_end_closed_without_a_500(env: ChatEnv) -> None:
    cid, token, _, op = _assigned(env)
    _, other = env.operator()
    calls = [
        (op, f"/api/v1/conversations/{cid}/resolve", None),
        (token, f"/api/v1/conversations/{cid}/close", None),
        (other, f"/api/v1/conversations/{cid}/take", None),
        (token, f"/api/v1/conversations/{cid}/handoff", None),
    ] * (N // 2)
    codes = _codes(_race(env, calls))
    assert set(codes) <= {
        (200, None),
        (403, "not_assigned"),  # resolving after the other operator took it back
        (409, "not_queued"),
        (409, "conversation_closed"),
    }
    assert env.get(token, cid)["status"] == "closed"
    assert _system_texts(env, token, cid).count(chat.TEXT_CLOSED) == 1


def test_the_same_transfer_at_once_transfers_once(env: ChatEnv) -> None:
    cid, token, _, op = _assigned(env)
    target_id, _ = env.operator()
    responses = _race(
        env,
        [(op, f"/api/v1/conversations/{cid}/transfer", {"to_operator_id": target_id})] * N,
    )
    assert _codes(responses) == {(200, None): N}
    assert {r.json()["assigned_operator_id"] for r in responses} == {target_id}
    assert env.get(op, cid)["assigned_operator_id"] == target_id
    assert _system_texts(env, token, cid).count(chat.TEXT_TRANSFERRED_OPERATOR) == 1

    supervisor = _supervisor(env)
    responses = _race(
        env, [(supervisor, f"/api/v1/conversations/{cid}/transfer", {"to_line": "seller"})] * N
    )
    assert _codes(responses) == {(200, None): N}
    line_note = chat.TEXT_TRANSFERRED_LINE.format(line="Поддержка продавцов")
    assert _system_texts(env, token, cid).count(line_note) == 1


def test_calling_an_operator_at_once_queues_once(env: ChatEnv) -> None:
    _, token = env.customer()
    cid = env.conversation(token)["id"]
    responses = _race(env, [(token, f"/api/v1/conversations/{cid}/handoff", None)] * N)
    assert _codes(responses) == {(200, None): N}
    assert {r.json()["status"] for r in responses} == {"queued"}
    assert _system_texts(env, token, cid).count(chat.TEXT_QUEUED) == 1


def test_taking_at_capacity_at_once_is_409_not_500(env: ChatEnv) -> None:
    _, op = env.operator(capacity=1)
    ids = [_queued(env)[0] for _ in range(N)]
    responses = _race(env, [(op, f"/api/v1/conversations/{cid}/take", None) for cid in ids])
    assert _codes(responses) == {(200, None): 1, (409, "at_capacity"): N - 1}


def test_rating_at_once_and_while_closing_is_never_a_500(env: ChatEnv) -> None:
    cid, token, _, op = _assigned(env)
    assert env.post(op, f"/api/v1/conversations/{cid}/resolve").status_code == 200
    rate = (token, f"/api/v1/conversations/{cid}/rating", {"rating": 5})
    close = (token, f"/api/v1/conversations/{cid}/close", None)
    assert _codes(_race(env, [rate, close] * (N // 2))) == {(200, None): N}
    conversation = env.get(token, cid)
    assert (conversation["status"], conversation["rating"]) == ("closed", 5)


def test_availability_switched_at_once_by_a_new_operator_is_never_a_500(env: ChatEnv) -> None:
    _, op = env.operator()  # no presence row yet: every request would create it

    async def work(client: httpx.AsyncClient) -> list[httpx.Response]:
        return list(
            await asyncio.gather(
                *(
                    client.put(
                        "/api/v1/operator/availability",
                        json={"available": i % 2 == 0},
                        headers=auth(op),
                    )
                    for i in range(N)
                )
            )
        )

    assert _codes(_run(env, work)) == {(200, None): N}
