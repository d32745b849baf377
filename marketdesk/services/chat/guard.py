"""The privacy guard on what goes to a customer (seed 000: «ЗАПРЕЩЕНО КЛИЕНТУ НАЗЫВАТЬ
КОЛИЧЕСТВО ПЕРЕСЕЧЕНИЙ И ДАННЫЕ АККАУНТОВ…»; seed 002: no confidential data).

:func:`marketdesk.domain.privacy.check_outgoing_text` runs with the identifiers of other
customers that matter for this addressee: the accounts the addressee's coupon ban intersects
with, and any number in the text that is the ID of another existing customer. The send path
runs :func:`passes_guard` inside the message's own transaction (docs/decisions/0002); only
when it objects is the verdict worked out again, with its reasons, by :func:`refuse_disclosure`
to refuse and audit the reply. Private notes stay inside the team and are not checked."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel
from sqlalchemy import Connection, String, bindparam, cast, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.ids import is_record_id
from marketdesk.domain.privacy import PrivacyViolation, candidate_ids, check_outgoing_text
from marketdesk.store.models import Conversation, CouponBan, Customer, Product

from .. import audit
from ..errors import CustomerNotFound, TextTooLong
from ..errors import PrivacyViolation as PrivacyRefused
from ..principals import Principal

__all__ = [
    "MAX_GUARD_TEXT",
    "GuardResult",
    "PrivacyRefused",
    "ViolationView",
    "check_text",
    "passes_guard",
    "refuse_disclosure",
    "verdict_for_conversation",
    "verdict_for_customer",
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
    numbers = {n for n in numbers if is_record_id(n)}
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
    """The guard as a :data:`~marketdesk.services.chat.context.TextGuard`: inside the
    message's own transaction, whether ``text`` may go to ``customer_id``."""
    return not _violations(connection, text, customer_id)


async def check_text(
    session: AsyncSession, principal: Principal, text: str, *, customer_id: int | None = None
) -> GuardResult:
    """The guard's verdict on a text meant for ``customer_id`` (or an unknown addressee)."""
    principal.require_operator()
    if len(text) > MAX_GUARD_TEXT:
        raise TextTooLong(limit=MAX_GUARD_TEXT, fields=["text"])
    if customer_id is not None and await session.get(Customer, customer_id) is None:
        raise CustomerNotFound(customer_id=customer_id)
    views = await session.run_sync(lambda sync: _violations(sync.connection(), text, customer_id))
    return GuardResult(ok=not views, violations=views, message=_summary(views))


async def verdict_for_conversation(
    session: AsyncSession, conversation_id: int, text: str
) -> GuardResult:
    """The guard's verdict on ``text`` as a reply in the conversation (to its customer; to
    a visitor, no customer)."""
    addressee = (
        await session.execute(_ADDRESSEE, {"conversation_id": conversation_id})
    ).one_or_none()
    customer_id, linked = addressee if addressee is not None else (None, None)
    views = await session.run_sync(
        lambda sync: _violations(sync.connection(), text, customer_id, linked or ())
    )
    return GuardResult(ok=not views, violations=views, message=_summary(views))


async def verdict_for_customer(session: AsyncSession, customer_id: int, text: str) -> GuardResult:
    """The guard's verdict on ``text`` sent by the system to ``customer_id`` (no operator
    asks: a back-office result, a notice)."""
    views = await session.run_sync(lambda sync: _violations(sync.connection(), text, customer_id))
    return GuardResult(ok=not views, violations=views, message=_summary(views))


async def refuse_disclosure(
    session: AsyncSession, principal: Principal, conversation_id: int, verdict: GuardResult
) -> None:
    """Refuse a reply the guard objects to: the refusal goes to the audit log (the text
    does not), then :class:`PrivacyRefused` with the reasons."""
    audit.record(
        session,
        principal,
        "conversation.message_blocked",
        entity_kind="conversation",
        entity_id=conversation_id,
        codes=sorted({v.code for v in verdict.violations}),
    )
    await session.commit()
    raise PrivacyRefused(
        reasons=verdict.message or "Сообщение нельзя отправить.",
        violations=[v.model_dump() for v in verdict.violations],
    )
