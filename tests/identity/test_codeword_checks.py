"""The operator checks the codeword the customer says (issue 14, item 5): match or no
match, never the word; five misses lock it for an hour (settings); every check audited; the
actions that need identity wait for a passed check in that conversation."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from marketdesk.services import identity
from marketdesk.services.identity import CodewordPolicy
from marketdesk.services.principals import Principal
from marketdesk.store.models import (
    AuditEntry,
    BalanceEntry,
    CustomerCodeword,
    IdentityCheck,
    Task,
    utcnow,
)
from tests.chat.conftest import ChatEnv, auth
from tests.errors import assert_error

from .helpers import Case, case, check, new_phone

WORD = "Синий кит"


def _audit(env: ChatEnv, customer_id: int) -> list[AuditEntry]:
    async def work(session: Any) -> list[AuditEntry]:
        rows = await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_kind == "customer", AuditEntry.entity_id == str(customer_id))
            .order_by(AuditEntry.id)
        )
        return list(rows)

    return list(env.run(work))


def test_the_codeword_is_stored_hashed_and_never_shown(env: ChatEnv) -> None:
    c = case(env, codeword=WORD)

    async def stored(session: Any) -> CustomerCodeword | None:
        return await session.get(CustomerCodeword, c.customer_id)

    row = env.run(stored)
    assert row is not None and row.word_hash.startswith("$argon2")
    assert "кит" not in row.word_hash.lower()
    mine = env.client.get("/api/v1/me/codeword", headers=auth(c.customer))
    assert mine.status_code == 200 and mine.json()["is_set"] is True
    assert "кит" not in mine.text.lower()
    state = env.client.get(
        f"/api/v1/conversations/{c.conversation_id}/identity", headers=auth(c.operator)
    )
    assert state.status_code == 200, state.text
    assert state.json()["codeword_set"] is True and state.json()["passed"] is False
    assert "кит" not in state.text.lower()


def test_a_match_as_people_say_it_passes_and_is_audited_without_the_word(env: ChatEnv) -> None:
    c = case(env, codeword=WORD)
    missed = check(env, c, "Зелёный кит")
    assert missed.status_code == 200, missed.text
    assert missed.json()["passed"] is False and missed.json()["misses_left"] == 4
    matched = check(env, c, "  синий   КИТ ")
    assert matched.status_code == 200, matched.text
    assert matched.json()["passed"] is True
    assert "кит" not in matched.text.lower()
    state = env.client.get(
        f"/api/v1/conversations/{c.conversation_id}/identity", headers=auth(c.operator)
    ).json()
    assert state["passed"] is True and state["misses_left"] == 5  # a match clears the misses

    checks = [e for e in _audit(env, c.customer_id) if e.action == "identity.codeword_checked"]
    assert [e.details["outcome"] for e in checks] == ["no_match", "match"]
    assert all(e.details["conversation_id"] == c.conversation_id for e in checks)
    everything = json.dumps([e.details for e in _audit(env, c.customer_id)], ensure_ascii=False)
    assert "кит" not in everything.lower() and "зел" not in everything.lower()


def test_five_misses_lock_the_checks_and_even_the_right_word_waits(env: ChatEnv) -> None:
    c = case(env, codeword=WORD)
    for left in (4, 3, 2, 1):
        assert check(env, c, f"не то {left}").json()["misses_left"] == left
    fifth = check(env, c, "опять не то")
    assert fifth.status_code == 200 and fifth.json()["passed"] is False
    assert fifth.json()["misses_left"] == 0 and fifth.json()["locked_until"] is not None
    locked = check(env, c, WORD)
    error = assert_error(locked, 429, "codeword_locked")
    assert int(locked.headers["Retry-After"]) > 59 * 60
    assert "кит" not in error["message"].lower()
    outcomes = [
        e.details["outcome"]
        for e in _audit(env, c.customer_id)
        if e.action == "identity.codeword_checked"
    ]
    assert outcomes == ["no_match"] * 5 + ["locked"]


def test_the_lock_ends_after_its_time(env: ChatEnv) -> None:
    c = case(env, codeword=WORD)
    policy = CodewordPolicy(max_misses=5, lock_for=timedelta(minutes=60))
    start = utcnow()

    async def operator_of(session: Any) -> Principal:
        from marketdesk.services.auth import authenticate

        return await authenticate(session, c.operator)

    def run_check(answer: str, at: Any) -> Any:
        async def work(session: Any) -> Any:
            who = await operator_of(session)
            return await identity.check_codeword(
                session, who, c.conversation_id, answer, policy=policy, now=at
            )

        return env.run(work)

    for n in range(5):
        run_check(f"мимо {n}", start + timedelta(seconds=n))
    result = None
    try:
        run_check(WORD, start + timedelta(minutes=59))
    except identity.CodewordLocked as locked:
        result = locked
    assert result is not None  # still locked a minute before the hour
    after = run_check(WORD, start + timedelta(minutes=61))
    assert after.passed is True and after.locked_until is None


def test_the_limits_are_settings() -> None:
    from marketdesk.settings import Settings

    policy = CodewordPolicy.from_settings(
        Settings(codeword_max_misses=3, codeword_lock_minutes=15)  # type: ignore[call-arg]
    )
    assert policy.max_misses == 3 and policy.lock_for == timedelta(minutes=15)
    default = CodewordPolicy.from_settings(Settings())
    assert default.max_misses == 5 and default.lock_for == timedelta(minutes=60)


def _actions(c: Case) -> list[tuple[str, dict[str, Any] | None]]:
    base = f"/api/v1/conversations/{c.conversation_id}/identity"
    return [
        (f"{base}/contacts", None),
        (f"{base}/login-phone", {"phone": new_phone()}),
        (
            f"{base}/withdrawals",
            {
                "amount": "100",
                "recipient": "Иванов Иван Иванович",
                "bik": "049805746",
                "account": "40602810700000000025",
            },
        ),
    ]


def test_actions_needing_identity_wait_for_a_passed_check_in_that_conversation(
    env: ChatEnv,
) -> None:
    c = case(env, codeword=WORD)
    for path, body in _actions(c):
        refused = env.client.post(path, json=body, headers=auth(c.operator))
        assert_error(refused, 403, "identity_check_required")
    assert check(env, c, "неверно").json()["passed"] is False
    for path, body in _actions(c):  # a miss is no pass
        assert_error(
            env.client.post(path, json=body, headers=auth(c.operator)),
            403,
            "identity_check_required",
        )
    assert check(env, c, WORD).json()["passed"] is True
    contacts = env.client.post(_actions(c)[0][0], headers=auth(c.operator))
    assert contacts.status_code == 200 and contacts.json()["phone"] == c.phone
    # the customer's other conversation, where the check has not happened
    other = env.conversation(c.customer, line="travel_priority")
    assert env.client.get("/api/v1/me/devices", headers=auth(c.customer)).status_code == 200
    new = new_phone()
    changed = env.client.post(_actions(c)[1][0], json={"phone": new}, headers=auth(c.operator))
    assert changed.status_code == 200, changed.text
    assert changed.json()["phone"] == new
    # the old phone's sessions end: whoever holds it is logged out
    assert changed.json()["sessions_ended"] == 1
    assert env.client.get("/api/v1/me/devices", headers=auth(c.customer)).status_code == 401
    _, supervisor = env.operator(lines=(), roles=("supervisor",))
    assert_error(
        env.client.post(
            f"/api/v1/conversations/{other['id']}/identity/contacts", headers=auth(supervisor)
        ),
        403,
        "identity_check_required",
    )
    entries = _audit(env, c.customer_id)
    actions = [e.action for e in entries]
    assert "customer.contacts_revealed" in actions and "customer.login_phone_changed" in actions
    changed_entry = next(e for e in entries if e.action == "customer.login_phone_changed")
    assert changed_entry.details["sessions_ended"] == 1


def test_a_support_withdrawal_after_the_check_takes_the_account_rules(env: ChatEnv) -> None:
    c = case(env, codeword=WORD)

    async def refund(session: Any) -> None:
        session.add(
            BalanceEntry(customer_id=c.customer_id, kind="rubles", amount=50000, source="refund")
        )
        await session.commit()

    env.run(refund)
    assert check(env, c, WORD).json()["passed"] is True
    path, body = _actions(c)[2]
    too_little = env.client.post(path, json={**body, "amount": "50"}, headers=auth(c.operator))
    assert too_little.status_code == 422, too_little.text  # at least 100 ₽: the account's rule
    done = env.client.post(path, json={**body, "amount": "150"}, headers=auth(c.operator))
    assert done.status_code == 200, done.text
    assert float(done.json()["withdrawal"]["amount"]) == 150.0
    mine = env.client.get("/api/v1/me/withdrawals", headers=auth(c.customer))
    assert mine.status_code == 200, mine.text
    assert [float(w["amount"]) for w in mine.json()["withdrawals"]] == [150.0]


def test_a_guest_a_missing_word_and_a_bad_word_are_refused(env: ChatEnv) -> None:
    c = case(env, codeword=None)
    assert_error(check(env, c, "что-нибудь"), 409, "codeword_not_set")
    visitor = env.visitor()
    guest = env.conversation(visitor)
    _, operator = env.operator(lines=("general",))
    assert_error(
        env.client.post(
            f"/api/v1/conversations/{guest['id']}/identity/check",
            json={"answer": "слово"},
            headers=auth(operator),
        ),
        409,
        "conversation_without_customer",
    )
    for bad in ("кот", "12345678", "  "):
        assert_error(
            env.client.put("/api/v1/me/codeword", json={"codeword": bad}, headers=auth(c.customer)),
            422,
            "codeword_invalid",
        )


def test_a_forgotten_codeword_is_a_back_office_task_then_a_reset(env: ChatEnv) -> None:
    c = case(env, codeword=WORD)
    task = env.client.post(
        f"/api/v1/conversations/{c.conversation_id}/identity/codeword-reset",
        headers=auth(c.operator),
    )
    assert task.status_code == 201, task.text
    assert task.json()["queue"] == "Идентификация / Забытое кодовое слово"

    async def stored(session: Any) -> Task | None:
        return await session.scalar(select(Task).where(Task.number == task.json()["number"]))

    row = env.run(stored)
    assert row is not None and row.customer_id == c.customer_id
    assert row.conversation_id == c.conversation_id
    assert_error(
        env.client.delete(f"/api/v1/customers/{c.customer_id}/codeword", headers=auth(c.operator)),
        403,
        "forbidden",
    )
    _, backoffice = env.operator(lines=(), roles=("backoffice",))
    cleared = env.client.delete(
        f"/api/v1/customers/{c.customer_id}/codeword", headers=auth(backoffice)
    )
    assert cleared.status_code == 200 and cleared.json()["is_set"] is False
    assert_error(check(env, c, WORD), 409, "codeword_not_set")
    assert "identity.codeword_cleared" in [e.action for e in _audit(env, c.customer_id)]


def test_every_check_is_a_row_of_its_conversation(env: ChatEnv) -> None:
    c = case(env, codeword=WORD)
    check(env, c, "нет")
    check(env, c, WORD)

    async def rows(session: Any) -> list[IdentityCheck]:
        found = await session.scalars(
            select(IdentityCheck)
            .where(IdentityCheck.conversation_id == c.conversation_id)
            .order_by(IdentityCheck.id)
        )
        return list(found)

    assert [r.passed for r in env.run(rows)] == [False, True]


def test_the_audit_viewer_names_the_checks_without_the_answer(env: ChatEnv) -> None:
    c = case(env, codeword=WORD)
    check(env, c, "Красный кит")
    check(env, c, WORD)
    _, supervisor = env.operator(lines=(), roles=("supervisor",))
    page = env.client.get(
        "/api/v1/audit",
        params={"action": "identity.codeword_checked", "entity": f"customer:{c.customer_id}"},
        headers=auth(supervisor),
    )
    assert page.status_code == 200, page.text
    entries = page.json()["entries"]
    assert [e["action_title"] for e in entries] == ["Проверка кодового слова"] * 2
    assert sorted(e["summary"] for e in entries) == ["Не совпадает", "Совпадает"]
    assert "кит" not in page.text.lower()
