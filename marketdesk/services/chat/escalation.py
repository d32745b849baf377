"""The customer's escalation (seed 002: when a request is not processed in time, «площадка
предлагает сразу обратиться к руководству»).

A customer, visitor or seller whose conversation is past a running service-level deadline
(first response, next response or resolution: :mod:`.sla`) may raise it to the supervisors
once. It gets a deadline of its own (the policy's ``escalation`` target), a note to the
customer saying what happens next, a notice for the supervisors (``staff_notices``) and a
live ``escalation`` event on every active supervisor's and admin's operator socket.

Before a deadline has passed: 409 ``not_overdue``; a second escalation: 409
``already_escalated`` (the conversation as it is comes with the first answer, and the
widget no longer offers the button: ``escalation_available`` is false)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.conversations import ConversationStatus as S
from marketdesk.domain.roles import Role
from marketdesk.domain.tasks import MOSCOW_TZ
from marketdesk.store.models import Conversation, StaffNotice, utcnow
from marketdesk.store.transactions import on_commit, serialized

from .. import audit
from ..errors import AlreadyEscalated, ConversationClosed, CustomerEscalates, NotOverdue
from ..principals import Principal
from . import sla
from .checks import load
from .context import ChatContext
from .events import changes_for, operator_channel
from .sla_watch import supervisor_ids
from .texts import TEXT_ESCALATED
from .transcript import system_note
from .views import ConversationView, conversation_view

__all__ = ["escalate"]


def _moscow(at: datetime) -> str:
    return at.astimezone(MOSCOW_TZ).strftime("%H:%M %d.%m.%Y")


@serialized
async def escalate(
    session: AsyncSession, ctx: ChatContext, principal: Principal, conversation_id: int
) -> ConversationView:
    """«Обратиться к руководству» (see the module). Others' conversations: 404."""
    await load(session, principal, conversation_id)
    if principal.is_operator:
        raise CustomerEscalates()
    conversation = await session.scalar(
        select(Conversation)
        .where(Conversation.id == conversation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert conversation is not None
    now = utcnow()
    if conversation.escalated_at is not None:
        await session.rollback()
        raise AlreadyEscalated()
    if conversation.status == S.CLOSED:
        await session.rollback()
        raise ConversationClosed()
    if not sla.view_fields(conversation, now)["escalation_available"]:
        await session.rollback()
        raise NotOverdue()
    conversation.escalated_at = now
    conversation.escalation_due_at = due = sla.policy(str(conversation.line)).due(
        sla.targets(conversation).escalation, now
    )
    conversation.updated_at = now
    changes = changes_for(session, ctx.publish)
    changes.changed(conversation, conversation.assigned_operator_id)
    await system_note(session, changes, conversation, TEXT_ESCALATED.format(due=_moscow(due)))
    text = (
        f"Покупатель обратился к руководству: диалог №{conversation.id} просрочен. "
        f"Ответить до {_moscow(due)} (мск)."
    )
    session.add(
        StaffNotice(
            role=Role.SUPERVISOR.value,
            kind="conversation_escalated",
            text=text,
            details={"conversation_id": conversation.id, "due_at": due.isoformat()},
            created_at=now,
        )
    )
    audit.record(
        session,
        principal,
        "conversation.escalated",
        entity_kind="conversation",
        entity_id=conversation.id,
    )
    channels = [operator_channel(i) for i in await supervisor_ids(session)]
    event = {
        "type": "escalation",
        "conversation_id": conversation.id,
        "line": conversation.line,
        "due_at": due.isoformat(),
        "text": text,
    }
    if channels:
        on_commit(session, lambda: ctx.publish(channels, event))
    await session.commit()
    return conversation_view(conversation)
