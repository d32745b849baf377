"""What an operator sends to a customer passes the privacy guard first (seed 000: «ЗАПРЕЩЕНО
КЛИЕНТУ НАЗЫВАТЬ КОЛИЧЕСТВО ПЕРЕСЕЧЕНИЙ И ДАННЫЕ АККАУНТОВ…»; seed 002: no confidential data).

``check_text`` runs :func:`marketdesk.domain.privacy.check_outgoing_text` with the identifiers
of other customers that matter for this addressee: the accounts the addressee's coupon ban
intersects with, and any number in the text that is the ID of another existing customer.
``send`` (and ``send_reply``) refuses a message with a violation (422 ``privacy_violation``,
the reasons in Russian) and otherwise stores it; the check runs inside the message's own
transaction (:func:`passes_guard`), so it costs a reply no transaction of its own. Private
notes stay inside the team and are not checked.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from pydantic import BaseModel
from sqlalchemy import Connection, String, bindparam, cast, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.privacy import PrivacyViolation, candidate_ids, check_outgoing_text
from marketdesk.store.db import Database
from marketdesk.store.models import Conversation, CouponBan, Customer, Product

from . import audit
from . import conversations as chat
from .errors import InvalidInput, NotFound
from .principals import Principal

__all__ = [
    "GuardResult",
    "PrivacyRefused",
    "ViolationView",
    "check_text",
    "passes_guard",
    "require_guard_passes",
    "send",
    "send_live",
    "send_reply",
]

MAX_GUARD_TEXT = 20_000
_MAX_NUMBERS = 50


class ViolationView(BaseModel):
    code: str
    message: str
    start: int
    end: int
    fragment: str


class GuardResult(BaseModel):
    ok: bool
    violations: list[ViolationView]
    message: str | None


# the accounts a customer's coupon ban links to (read in every guarded reply's transaction)
_LINKS = select(CouponBan.linked_customer_ids).where(
    CouponBan.customer_id == bindparam("customer_id")
)
# the addressee of a conversation and the accounts their coupon ban links to, in one read
_ADDRESSEE = (
    select(Conversation.customer_id, CouponBan.linked_customer_ids)
    .outerjoin(CouponBan, CouponBan.customer_id == Conversation.customer_id)
    .where(Conversation.id == bindparam("conversation_id"))
)


class PrivacyRefused(InvalidInput):
    code = "privacy_violation"


def _views(text: str, found: Sequence[PrivacyViolation]) -> list[ViolationView]:
    return [
        ViolationView(
            code=str(v.code),
            message=v.message_ru,
            start=v.start,
            end=v.end,
            fragment=text[v.start : v.end],
        )
        for v in found
    ]


def _summary(violations: Sequence[ViolationView]) -> str | None:
    if not violations:
        return None
    seen: list[str] = []
    for v in violations:
        if v.message not in seen:
            seen.append(v.message)
    return " ".join(seen)


def _other_ids(
    connection: Connection,
    text: str,
    customer_id: int | None,
    linked: Sequence[object] | None = None,
) -> set[str]:
    """IDs of customers other than the addressee that must not appear in the text
    (``linked``: the addressee's coupon-ban links when the caller has read them)."""
    ids: set[str] = set()
    if customer_id is not None:
        if linked is None:
            linked = connection.execute(_LINKS, {"customer_id": customer_id}).scalar()
        ids.update(str(i) for i in (linked or []) if str(i).strip())
    # the numbers the text may name, read as the guard reads them (separators, invisible
    # characters and full-width digits do not hide one)
    numbers = {int(m) for m in candidate_ids(text)[:_MAX_NUMBERS]}
    numbers = {n for n in numbers if 0 < n < 2**63}
    if customer_id is not None:
        numbers.discard(customer_id)
    if numbers:
        # a product code is what an operator names all day: never read it as a customer
        numbers -= set(
            connection.execute(select(Product.id).where(Product.id.in_(numbers))).scalars()
        )
    if numbers:
        rows = connection.execute(select(Customer.id).where(Customer.id.in_(numbers)))
        known = set(rows.scalars())
        ids.update(str(i) for i in known)
        numbers -= known
    if numbers:
        # accounts known only as the links of someone's coupon ban are customers' IDs too:
        # refused in every conversation, an anonymous one included (issue 20, item 4)
        wanted = {str(n) for n in numbers}
        link_lists = connection.execute(
            select(CouponBan.linked_customer_ids).where(
                or_(*(cast(CouponBan.linked_customer_ids, String).contains(n) for n in wanted))
            )
        )
        for links in link_lists.scalars():
            ids.update(str(i) for i in links or [] if str(i) in wanted)
    if customer_id is not None:
        ids.discard(str(customer_id))
    return ids


def _violations(
    connection: Connection,
    text: str,
    customer_id: int | None,
    linked: Sequence[object] | None = None,
) -> list[ViolationView]:
    others = _other_ids(connection, text, customer_id, linked)
    found = check_outgoing_text(
        text,
        other_customer_ids=others,
        own_customer_id=str(customer_id) if customer_id is not None else None,
    )
    return _views(text, found)


def passes_guard(connection: Connection, customer_id: int | None, text: str) -> bool:
    """The guard as a :data:`~marketdesk.services.conversations.TextGuard`: inside the
    message's own transaction, whether ``text`` may go to ``customer_id``."""
    return not _violations(connection, text, customer_id)


async def check_text(
    session: AsyncSession, principal: Principal, text: str, *, customer_id: int | None = None
) -> GuardResult:
    """The guard's verdict on a text meant for ``customer_id`` (or an unknown addressee)."""
    principal.require_operator()
    if len(text) > MAX_GUARD_TEXT:
        raise InvalidInput(
            f"Текст длиннее {MAX_GUARD_TEXT} символов.", code="text_too_long", fields=["text"]
        )
    if customer_id is not None and await session.get(Customer, customer_id) is None:
        raise NotFound(f"Покупатель с ID {customer_id} не найден.", code="customer_not_found")
    views = await session.run_sync(lambda sync: _violations(sync.connection(), text, customer_id))
    return GuardResult(ok=not views, violations=views, message=_summary(views))


async def send_reply(
    session: AsyncSession,
    ctx: chat.ChatContext,
    principal: Principal,
    conversation_id: int,
    *,
    client_msg_id: str,
    text: str,
    private: bool = False,
) -> chat.SendResult:
    """An operator's message in a conversation (see :func:`send`)."""
    principal.require_operator()
    return await send(
        session,
        ctx,
        principal,
        conversation_id,
        client_msg_id=client_msg_id,
        text=text,
        private=private,
    )


async def require_guard_passes(
    session: AsyncSession,
    principal: Principal,
    conversation_id: int,
    *,
    client_msg_id: str,
    text: str,
) -> None:
    """Refuse an operator's reply that would disclose what the guard protects
    (:class:`PrivacyRefused` with the reasons), unless it is a retry of a stored message. A
    refusal is written to the audit log (the text itself is not)."""
    addressee = (
        await session.execute(_ADDRESSEE, {"conversation_id": conversation_id})
    ).one_or_none()
    if addressee is None:
        return  # no such conversation: the chat service answers that
    customer_id, linked = addressee
    verdict = await session.run_sync(
        lambda sync: _violations(sync.connection(), text, customer_id, linked or ())
    )
    if verdict and (await chat.find_sent(session, principal, conversation_id, client_msg_id)):
        return  # a retry of a message that passed: the guard was changed since
    if verdict:
        audit.record(
            session,
            principal,
            "conversation.message_blocked",
            entity_kind="conversation",
            entity_id=conversation_id,
            codes=sorted({v.code for v in verdict}),
        )
        await session.commit()
        raise PrivacyRefused(
            _summary(verdict) or "Сообщение нельзя отправить.",
            violations=[v.model_dump() for v in verdict],
        )


async def send(
    session: AsyncSession,
    ctx: chat.ChatContext,
    principal: Principal,
    conversation_id: int,
    *,
    client_msg_id: str,
    text: str,
    private: bool = False,
) -> chat.SendResult:
    """Every message into a conversation, from every channel (REST, WebSocket, console):
    an operator's reply passes the privacy guard (private notes stay inside the team and
    are not checked), customers' messages go straight in.

    The guard runs inside the message's own transaction (:func:`passes_guard`, in the
    writer's batch when there is one): what it reads is what the message commits with, and
    a reply that passes costs no transaction of its own. Only when it objects is the verdict
    worked out again, with the reasons, to refuse and audit the reply."""
    try:
        return await chat.send_message(
            session,
            ctx,
            principal,
            conversation_id,
            client_msg_id=client_msg_id,
            text=text,
            private=private,
            guard=_guard_for(principal, private),
        )
    except chat.GuardObjected:
        return await _after_objection(
            session, ctx, principal, conversation_id, client_msg_id=client_msg_id, text=text
        )


async def send_live(
    database: Database,
    ctx: chat.ChatContext,
    principal: Principal,
    conversation_id: int,
    *,
    client_msg_id: str,
    text: str,
    private: bool = False,
) -> chat.SendResult:
    """:func:`send` for a caller without a session (the sockets): with the server's writer
    no session is opened at all, unless the guard objects (:func:`send` then works the
    refusal out, with its reasons)."""
    if ctx.writer is not None:
        with contextlib.suppress(chat.GuardObjected):
            return await chat.submit_message(
                ctx,
                principal,
                conversation_id,
                client_msg_id=client_msg_id,
                text=text,
                private=private,
                guard=_guard_for(principal, private),
            )
    async with database.sessions() as session:
        return await send(
            session,
            ctx,
            principal,
            conversation_id,
            client_msg_id=client_msg_id,
            text=text,
            private=private,
        )


def _guard_for(principal: Principal, private: bool) -> chat.TextGuard | None:
    return passes_guard if principal.is_operator and not private else None


async def _after_objection(
    session: AsyncSession,
    ctx: chat.ChatContext,
    principal: Principal,
    conversation_id: int,
    *,
    client_msg_id: str,
    text: str,
) -> chat.SendResult:
    """The guard objected to a reply: refuse it with the reasons; or, if it is a retry of a
    stored message or the guard's facts changed in between, send it after all."""
    await require_guard_passes(
        session, principal, conversation_id, client_msg_id=client_msg_id, text=text
    )
    return await chat.send_message(
        session,
        ctx,
        principal,
        conversation_id,
        client_msg_id=client_msg_id,
        text=text,
    )
