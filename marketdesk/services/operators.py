"""The operators colleagues can hand a conversation to: lines, availability and load."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.conversations import ConversationStatus
from marketdesk.store.models import (
    Conversation,
    Operator,
    OperatorLine,
    OperatorPresence,
    OperatorRole,
)

from .principals import Principal

__all__ = ["OperatorView", "list_operators"]


class OperatorView(BaseModel):
    id: int
    login: str
    name: str
    roles: list[str]
    lines: list[str]
    available: bool
    chats: int
    capacity: int


async def list_operators(
    session: AsyncSession, principal: Principal, *, line: str | None = None
) -> list[OperatorView]:
    """Active staff who serve chat lines (``line`` narrows to one), for transfers."""
    principal.require_operator()
    operators = list(
        await session.scalars(
            select(Operator).where(Operator.is_active.is_(True)).order_by(Operator.full_name)
        )
    )
    lines: dict[int, list[str]] = {}
    for operator_id, name in await session.execute(
        select(OperatorLine.operator_id, OperatorLine.line).order_by(OperatorLine.line)
    ):
        lines.setdefault(operator_id, []).append(name)
    roles: dict[int, list[str]] = {}
    for operator_id, role in await session.execute(
        select(OperatorRole.operator_id, OperatorRole.role).order_by(OperatorRole.role)
    ):
        roles.setdefault(operator_id, []).append(role)
    available = set(
        await session.scalars(
            select(OperatorPresence.operator_id).where(OperatorPresence.available.is_(True))
        )
    )
    loads = {
        operator_id: int(count)
        for operator_id, count in await session.execute(
            select(Conversation.assigned_operator_id, func.count())
            .where(Conversation.status == ConversationStatus.ASSIGNED)
            .group_by(Conversation.assigned_operator_id)
        )
        if operator_id is not None
    }
    return [
        OperatorView(
            id=o.id,
            login=o.login,
            name=o.full_name,
            roles=roles.get(o.id, []),
            lines=lines.get(o.id, []),
            available=o.id in available,
            chats=loads.get(o.id, 0),
            capacity=o.chat_capacity,
        )
        for o in operators
        if lines.get(o.id) and (line is None or line in lines[o.id])
    ]
