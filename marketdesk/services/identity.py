"""Identity checks by the operator (issue 14, item 5; seed 001: the «кодовое слово, которое
будет использоваться при обращении в службу поддержки»).

The customer sets a codeword (``PUT /api/v1/me/codeword``): only its argon2 hash is stored,
like an operator's password. In a conversation with the customer the operator types what
the customer says and gets «совпадает» or «не совпадает», never the word. ``max_misses``
misses in a row lock the checks for ``lock_for`` (``MARKETDESK_CODEWORD_MAX_MISSES``,
``MARKETDESK_CODEWORD_LOCK_MINUTES``; the seeds give no figures). Every check is written to
the audit log (the result, never the answer) and to ``identity_checks``; the actions of
:class:`~marketdesk.domain.identity.IdentityAction` run only after a passed check in the
same conversation (:func:`require_identity`). A forgotten codeword is a back-office task
(:func:`request_codeword_reset`), whose worker clears the word (:func:`clear_codeword`) once
the customer is identified; the customer then sets a new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain import identity as rules
from marketdesk.domain.identity import IdentityAction
from marketdesk.domain.roles import Role
from marketdesk.settings import Settings
from marketdesk.store.models import Conversation, Customer, CustomerCodeword, IdentityCheck, utcnow
from marketdesk.store.transactions import serialized

from . import audit, chat_access, tasks
from .auth import hash_password_async, verify_password_async
from .errors import (
    CodewordInvalid,
    CodewordLocked,
    CodewordNotSet,
    ConversationNotFound,
    ConversationWithoutCustomer,
    CustomerNotFound,
    IdentityCheckRequired,
    SecurityCustomerOnly,
)
from .principals import Principal

__all__ = [
    "CheckResult",
    "CodewordPolicy",
    "CodewordStatus",
    "IdentityState",
    "check_codeword",
    "clear_codeword",
    "conversation_customer",
    "identity_state",
    "my_codeword",
    "request_codeword_reset",
    "require_identity",
    "set_codeword",
]

_MSK = ZoneInfo("Europe/Moscow")


@dataclass(frozen=True, slots=True)
class CodewordPolicy:
    max_misses: int = 5
    lock_for: timedelta = timedelta(minutes=60)
    min_chars: int = 4
    reset_queue: str = "Идентификация / Забытое кодовое слово"

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> CodewordPolicy:
        settings = settings or Settings()
        return cls(
            max_misses=settings.codeword_max_misses,
            lock_for=timedelta(minutes=settings.codeword_lock_minutes),
            min_chars=settings.codeword_min_chars,
            reset_queue=settings.codeword_reset_queue,
        )


class CodewordStatus(BaseModel):
    """What the customer sees of their codeword: whether it is set and when (never the word)."""

    is_set: bool
    set_at: datetime | None = None


class IdentityState(BaseModel):
    """What the console's card shows in a conversation."""

    conversation_id: int
    customer_id: int
    codeword_set: bool
    passed: bool
    misses_left: int
    locked_until: datetime | None
    actions: dict[str, str]


class CheckResult(BaseModel):
    passed: bool
    message: str
    misses_left: int
    locked_until: datetime | None


def _customer_of(principal: Principal) -> int:
    if principal.kind != "customer":
        raise SecurityCustomerOnly()
    return int(principal.id)


def _state(row: CustomerCodeword) -> rules.CodewordState:
    return rules.CodewordState(row.misses, row.locked_until)


def _clock(at: datetime) -> str:
    return at.astimezone(_MSK).strftime("%H:%M (МСК) %d.%m.%Y")


async def my_codeword(session: AsyncSession, principal: Principal) -> CodewordStatus:
    row = await session.get(CustomerCodeword, _customer_of(principal))
    return CodewordStatus(is_set=row is not None, set_at=row.set_at if row else None)


@serialized
async def set_codeword(
    session: AsyncSession,
    principal: Principal,
    word: str,
    *,
    policy: CodewordPolicy,
    now: datetime | None = None,
) -> CodewordStatus:
    """Set or change the customer's codeword (a new word also ends a lock)."""
    customer_id = _customer_of(principal)
    problem = rules.codeword_problem(word, min_chars=policy.min_chars)
    if problem is not None:
        raise CodewordInvalid(reason=problem)
    now = now or utcnow()
    word_hash = await hash_password_async(rules.normalize_codeword(word))
    row = await session.get(CustomerCodeword, customer_id, with_for_update=True)
    changed = row is not None
    if row is None:
        row = CustomerCodeword(customer_id=customer_id)
        session.add(row)
    row.word_hash, row.misses, row.locked_until, row.set_at = word_hash, 0, None, now
    audit.record(
        session,
        principal,
        "identity.codeword_changed" if changed else "identity.codeword_set",
        entity_kind="customer",
        entity_id=customer_id,
    )
    await session.commit()
    return CodewordStatus(is_set=True, set_at=now)


async def conversation_customer(
    session: AsyncSession, principal: Principal, conversation_id: int
) -> Conversation:
    """The conversation, for staff who may read it, with a logged-in customer in it."""
    principal.require_operator()
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None or not await chat_access.may_read(session, principal, conversation):
        raise ConversationNotFound(conversation_id=conversation_id)
    if conversation.customer_id is None:
        raise ConversationWithoutCustomer()
    return conversation


async def _passed(session: AsyncSession, conversation_id: int, customer_id: int) -> bool:
    found = await session.scalar(
        select(IdentityCheck.id)
        .where(
            IdentityCheck.conversation_id == conversation_id,
            IdentityCheck.customer_id == customer_id,
            IdentityCheck.passed.is_(True),
        )
        .limit(1)
    )
    return found is not None


async def identity_state(
    session: AsyncSession,
    principal: Principal,
    conversation_id: int,
    *,
    policy: CodewordPolicy,
    now: datetime | None = None,
) -> IdentityState:
    now = now or utcnow()
    conversation = await conversation_customer(session, principal, conversation_id)
    customer_id = int(conversation.customer_id or 0)
    row = await session.get(CustomerCodeword, customer_id)
    state = _state(row).current(now) if row else rules.CodewordState(0, None)
    return IdentityState(
        conversation_id=conversation_id,
        customer_id=customer_id,
        codeword_set=row is not None,
        passed=await _passed(session, conversation_id, customer_id),
        misses_left=state.misses_left(now, max_misses=policy.max_misses) if row else 0,
        locked_until=state.locked_until if state.locked(now) else None,
        actions={a.value: t for a, t in rules.IDENTITY_ACTION_TITLES_RU.items()},
    )


def _record_check(
    session: AsyncSession,
    principal: Principal,
    conversation: Conversation,
    outcome: str,
    misses_left: int,
) -> None:
    audit.record(
        session,
        principal,
        "identity.codeword_checked",
        entity_kind="customer",
        entity_id=conversation.customer_id,
        conversation_id=conversation.id,
        outcome=outcome,
        misses_left=misses_left,
    )


@serialized
async def check_codeword(
    session: AsyncSession,
    principal: Principal,
    conversation_id: int,
    answer: str,
    *,
    policy: CodewordPolicy,
    now: datetime | None = None,
) -> CheckResult:
    """Compare what the customer said with their codeword: match or no match. A locked
    codeword refuses (429 ``codeword_locked``) without comparing; both are audited."""
    now = now or utcnow()
    conversation = await conversation_customer(session, principal, conversation_id)
    customer_id = int(conversation.customer_id or 0)
    row = await session.get(CustomerCodeword, customer_id, with_for_update=True)
    if row is None:
        raise CodewordNotSet()
    state = _state(row).current(now)
    if state.locked(now):
        _record_check(session, principal, conversation, "locked", 0)
        await session.commit()
        until = state.locked_until or now
        raise CodewordLocked(
            until=_clock(until), retry_after=int((until - now).total_seconds()) + 1
        )
    passed = await verify_password_async(row.word_hash, rules.normalize_codeword(answer))
    after = state.after_check(passed, now, max_misses=policy.max_misses, lock_for=policy.lock_for)
    row.misses, row.locked_until = after.misses, after.locked_until
    session.add(
        IdentityCheck(
            conversation_id=conversation.id,
            customer_id=customer_id,
            operator_id=int(principal.id),
            passed=passed,
            at=now,
        )
    )
    left = after.misses_left(now, max_misses=policy.max_misses)
    _record_check(session, principal, conversation, "match" if passed else "no_match", left)
    await session.commit()
    return CheckResult(
        passed=passed,
        message=_result_text(passed, left, after.locked_until),
        misses_left=left,
        locked_until=after.locked_until,
    )


def _result_text(passed: bool, left: int, locked_until: datetime | None) -> str:
    if passed:
        return "Кодовое слово совпадает: личность клиента подтверждена в этом диалоге."
    if locked_until is not None:
        return (
            f"Не совпадает. Попытки закончились: проверка заблокирована до {_clock(locked_until)}."
        )
    return f"Не совпадает. Осталось попыток: {left}."


async def require_identity(
    session: AsyncSession,
    principal: Principal,
    conversation_id: int,
    action: IdentityAction,
) -> Conversation:
    """The conversation with its customer when a check passed in it; else 403
    ``identity_check_required`` (the action's name in the message)."""
    conversation = await conversation_customer(session, principal, conversation_id)
    if not await _passed(session, conversation_id, int(conversation.customer_id or 0)):
        raise IdentityCheckRequired(action=rules.IDENTITY_ACTION_TITLES_RU[action])
    return conversation


async def request_codeword_reset(
    session: AsyncSession,
    principal: Principal,
    conversation_id: int,
    *,
    policy: CodewordPolicy,
    now: datetime | None = None,
) -> tasks.TaskCard:
    """The customer forgot the codeword: a task for the back office, which identifies
    them (seed 001: «процедура идентификации») and clears the word."""
    conversation = await conversation_customer(session, principal, conversation_id)
    task = await tasks.create_task(
        session,
        principal,
        queue=policy.reset_queue,
        title="Клиент забыл кодовое слово: провести идентификацию",
        description=(
            "Клиент сообщил в диалоге, что не помнит кодовое слово. Проведите процедуру "
            "идентификации; после неё сбросьте кодовое слово в карточке клиента, и клиент "
            "задаст новое в разделе «Безопасность»."
        ),
        customer_id=conversation.customer_id,
        conversation_id=conversation.id,
        now=now,
    )
    return await tasks.get_task(session, principal, task.number)


@serialized
async def clear_codeword(
    session: AsyncSession, principal: Principal, customer_id: int
) -> CodewordStatus:
    """The back office, after the identification: the word is gone (the customer sets a
    new one); audited."""
    principal.require_operator(Role.BACKOFFICE, Role.SUPERVISOR)
    found = await session.scalar(
        select(CustomerCodeword.customer_id).where(CustomerCodeword.customer_id == customer_id)
    )
    if found is None:
        if await session.get(Customer, customer_id) is None:
            raise CustomerNotFound(customer_id=customer_id)
        raise CodewordNotSet()
    await session.execute(
        delete(CustomerCodeword).where(CustomerCodeword.customer_id == customer_id)
    )
    audit.record(
        session,
        principal,
        "identity.codeword_cleared",
        entity_kind="customer",
        entity_id=customer_id,
    )
    await session.commit()
    return CodewordStatus(is_set=False)
