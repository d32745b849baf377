"""The operators: those colleagues can hand a conversation to (lines, availability and
load), and the admins' staff page (issue 16): accounts created, changed, deactivated, their
passwords and second factor reset, their sessions ended. Every change is audited."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Final

from pydantic import BaseModel
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.conversations import ConversationStatus
from marketdesk.domain.lines import Line
from marketdesk.domain.roles import Role
from marketdesk.store.models import (
    Conversation,
    Operator,
    OperatorLine,
    OperatorPresence,
    OperatorRole,
    Session,
    utcnow,
)

from . import audit, auth, task_live
from .chat.events import Publisher, no_publisher
from .errors import (
    CapacityInvalid,
    FieldTooLong,
    InvalidLine,
    OperatorLoginInvalid,
    OperatorLoginTaken,
    OperatorNotFound,
    OperatorRolesInvalid,
    OwnAccountLockout,
    PasswordTooShort,
)
from .principals import Principal

__all__ = [
    "MIN_PASSWORD",
    "OperatorView",
    "StaffChange",
    "StaffView",
    "create_operator",
    "force_logout",
    "list_operators",
    "reset_password",
    "reset_totp",
    "staff",
    "update_operator",
]


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


# --------------------------------------------------------------------- the admins' staff page

MIN_PASSWORD: Final = 10
"""The shortest password an admin may set (a configuration default, not a seed rule)."""
MAX_CAPACITY: Final = 50  # the database's check on chat_capacity
_LOGIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")


class StaffView(BaseModel):
    id: int
    login: str
    name: str
    roles: list[str]
    lines: list[str]
    capacity: int
    active: bool
    totp_enabled: bool
    created_at: datetime


class StaffChange(BaseModel):
    """What an admin changes of an account (None: unchanged)."""

    name: str | None = None
    roles: list[str] | None = None
    lines: list[str] | None = None
    capacity: int | None = None
    active: bool | None = None


async def _staff_view(session: AsyncSession, operator: Operator) -> StaffView:
    roles = await session.scalars(
        select(OperatorRole.role).where(OperatorRole.operator_id == operator.id)
    )
    lines = await session.scalars(
        select(OperatorLine.line).where(OperatorLine.operator_id == operator.id)
    )
    return StaffView(
        id=operator.id,
        login=operator.login,
        name=operator.full_name,
        roles=sorted(roles),
        lines=sorted(lines),
        capacity=operator.chat_capacity,
        active=operator.is_active,
        totp_enabled=operator.totp_enabled,
        created_at=operator.created_at,
    )


async def staff(session: AsyncSession, principal: Principal) -> list[StaffView]:
    """Every account, active or not (supervisors read, admins change)."""
    principal.require_operator(Role.SUPERVISOR)
    rows = await session.scalars(
        select(Operator).order_by(Operator.is_active.desc(), Operator.login)
    )
    return [await _staff_view(session, o) for o in rows]


def _roles(raw: list[str]) -> list[str]:
    roles = sorted(set(raw))
    if not roles or not set(roles) <= {r.value for r in Role}:
        raise OperatorRolesInvalid()
    return roles


def _lines(raw: list[str]) -> list[str]:
    lines = sorted(set(raw))
    if not set(lines) <= {line.value for line in Line}:
        raise InvalidLine()
    return lines


def _capacity(raw: int) -> int:
    if not 0 <= raw <= MAX_CAPACITY:
        raise CapacityInvalid(limit=MAX_CAPACITY)
    return raw


def _name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name or len(name) > 200:
        raise FieldTooLong(field="Имя", limit=200)
    return name


def _password(raw: str) -> str:
    if len(raw) < MIN_PASSWORD:
        raise PasswordTooShort(min_length=MIN_PASSWORD)
    return raw


async def _operator(session: AsyncSession, operator_id: int) -> Operator:
    operator = await session.get(Operator, operator_id)
    if operator is None:
        raise OperatorNotFound()
    return operator


async def create_operator(
    session: AsyncSession,
    principal: Principal,
    *,
    login: str,
    name: str,
    password: str,
    roles: list[str],
    lines: list[str],
    capacity: int = 3,
) -> StaffView:
    """A new staff account (admins)."""
    principal.require_operator(Role.ADMIN)
    if not _LOGIN.match(login):
        raise OperatorLoginInvalid()
    fields = (_name(name), _roles(roles), _lines(lines), _capacity(capacity))
    full_name, role_list, line_list, chat_capacity = fields
    if await session.scalar(select(Operator.id).where(Operator.login == login)) is not None:
        raise OperatorLoginTaken(login=login)
    operator = Operator(
        login=login,
        full_name=full_name,
        password_hash=await auth.hash_password_async(_password(password)),
        chat_capacity=chat_capacity,
        is_active=True,
    )
    session.add(operator)
    await session.flush()
    session.add_all(OperatorRole(operator_id=operator.id, role=r) for r in role_list)
    session.add_all(OperatorLine(operator_id=operator.id, line=x) for x in line_list)
    audit.record(
        session,
        principal,
        "operator.created",
        entity_kind="operator",
        entity_id=operator.id,
        login=login,
        roles=role_list,
        lines=line_list,
        capacity=chat_capacity,
    )
    await session.commit()
    task_live.forget_workers()  # one more who may hear of the tasks
    return await _staff_view(session, operator)


def _check_lockout(principal: Principal, operator: Operator, change: StaffChange) -> None:
    """An admin does not deactivate themselves nor drop their own admin role (the one who
    changes another admin is an admin too, so one always stays)."""
    loses_admin = change.active is False or (
        change.roles is not None and Role.ADMIN not in change.roles
    )
    if loses_admin and operator.id == principal.id:
        raise OwnAccountLockout()


async def _set_rows(
    session: AsyncSession,
    model: type[OperatorRole] | type[OperatorLine],
    operator_id: int,
    values: list[str],
) -> None:
    await session.execute(delete(model).where(model.operator_id == operator_id))
    column = "role" if model is OperatorRole else "line"
    session.add_all(model(operator_id=operator_id, **{column: v}) for v in values)


async def update_operator(
    session: AsyncSession,
    principal: Principal,
    operator_id: int,
    change: StaffChange,
    *,
    publish: Publisher = no_publisher,
) -> StaffView:
    """Change an account (admins). A deactivated operator's sessions end, sockets too."""
    principal.require_operator(Role.ADMIN)
    operator = await _operator(session, operator_id)
    _check_lockout(principal, operator, change)
    changed: dict[str, object] = {}
    if change.name is not None:
        operator.full_name = changed["name"] = _name(change.name)
    if change.capacity is not None:
        operator.chat_capacity = changed["capacity"] = _capacity(change.capacity)
    if change.roles is not None:
        changed["roles"] = roles = _roles(change.roles)
        await _set_rows(session, OperatorRole, operator.id, roles)
    if change.lines is not None:
        changed["lines"] = lines = _lines(change.lines)
        await _set_rows(session, OperatorLine, operator.id, lines)
    ended: list[int] = []
    if change.active is not None and change.active != operator.is_active:
        operator.is_active = changed["active"] = change.active
        if not change.active:
            ended = await _revoke_sessions(session, operator.id)
    audit.record(
        session,
        principal,
        "operator.updated",
        entity_kind="operator",
        entity_id=operator.id,
        **changed,
    )
    await session.commit()
    if "roles" in changed:  # the cached principals carry the old roles
        auth.forget_principals()
    if "roles" in changed or "active" in changed:
        task_live.forget_workers()
    await auth.announce_sessions_ended(publish, ended)
    return await _staff_view(session, operator)


async def _revoke_sessions(session: AsyncSession, operator_id: int) -> list[int]:
    ids = list(
        await session.scalars(
            select(Session.id).where(
                Session.operator_id == operator_id,
                Session.revoked_at.is_(None),
                Session.expires_at > utcnow(),
            )
        )
    )
    if ids:
        await session.execute(
            update(Session).where(Session.id.in_(ids)).values(revoked_at=utcnow())
        )
    return ids


async def reset_password(
    session: AsyncSession,
    principal: Principal,
    operator_id: int,
    password: str,
    *,
    publish: Publisher = no_publisher,
) -> None:
    """A new password (admins): the operator's sessions end, they log in with it."""
    principal.require_operator(Role.ADMIN)
    operator = await _operator(session, operator_id)
    operator.password_hash = await auth.hash_password_async(_password(password))
    ended = await _revoke_sessions(session, operator.id)
    audit.record(
        session,
        principal,
        "operator.password_reset",
        entity_kind="operator",
        entity_id=operator.id,
        sessions_ended=len(ended),
    )
    await session.commit()
    await auth.announce_sessions_ended(publish, ended)


async def reset_totp(session: AsyncSession, principal: Principal, operator_id: int) -> None:
    """Turn the operator's second factor off (a lost phone): they enrol again."""
    principal.require_operator(Role.ADMIN)
    operator = await _operator(session, operator_id)
    operator.totp_secret, operator.totp_enabled, operator.totp_last_step = None, False, None
    audit.record(
        session, principal, "operator.totp_reset", entity_kind="operator", entity_id=operator.id
    )
    await session.commit()


async def force_logout(
    session: AsyncSession,
    principal: Principal,
    operator_id: int,
    *,
    publish: Publisher = no_publisher,
) -> int:
    """End every session of an operator (supervisors, admins): the next request is 401 and
    the open sockets close at once (in every process). Returns how many ended."""
    principal.require_operator(Role.SUPERVISOR)
    operator = await _operator(session, operator_id)
    ended = await _revoke_sessions(session, operator.id)
    audit.record(
        session,
        principal,
        "operator.logged_out",
        entity_kind="operator",
        entity_id=operator.id,
        sessions_ended=len(ended),
    )
    await session.commit()
    await auth.announce_sessions_ended(publish, ended)
    return len(ended)
