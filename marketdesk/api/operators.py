"""Operators: those a conversation can be handed to, and the admins' staff accounts
(issue 16: create, change, deactivate, reset the password or the second factor; a
supervisor ends an operator's sessions)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from marketdesk.domain.lines import Line
from marketdesk.services import operators
from marketdesk.services.operators import OperatorView, StaffChange, StaffView

from .deps import CurrentOperator, DbSession, publisher_of
from .types import BigId

router = APIRouter(prefix="/api/v1/operators", tags=["operators"])


class OperatorList(BaseModel):
    operators: list[OperatorView]


class StaffList(BaseModel):
    operators: list[StaffView]


class NewOperator(BaseModel):
    model_config = ConfigDict(extra="forbid")

    login: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=256)
    roles: list[str] = Field(min_length=1, max_length=4)
    lines: list[str] = Field(default_factory=list, max_length=8)
    capacity: int = Field(default=3, ge=0, le=50)


class OperatorChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    roles: list[str] | None = Field(default=None, min_length=1, max_length=4)
    lines: list[str] | None = Field(default=None, max_length=8)
    capacity: int | None = Field(default=None, ge=0, le=50)
    active: bool | None = None


class NewPassword(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field(min_length=1, max_length=256)


class LoggedOut(BaseModel):
    sessions_ended: int


@router.get("", response_model=OperatorList)
async def list_operators(
    operator: CurrentOperator,
    session: DbSession,
    line: Line | None = None,
) -> OperatorList:
    return OperatorList(operators=await operators.list_operators(session, operator, line=line))


@router.get("/staff", response_model=StaffList)
async def staff(operator: CurrentOperator, session: DbSession) -> StaffList:
    """Every staff account, active or not (supervisors and admins)."""
    return StaffList(operators=await operators.staff(session, operator))


@router.post("", response_model=StaffView, status_code=201)
async def create_operator(
    body: NewOperator, operator: CurrentOperator, session: DbSession
) -> StaffView:
    """A new staff account (admins): login, name, first password, roles, lines, chats."""
    return await operators.create_operator(
        session,
        operator,
        login=body.login,
        name=body.name,
        password=body.password,
        roles=body.roles,
        lines=body.lines,
        capacity=body.capacity,
    )


@router.patch("/{operator_id}", response_model=StaffView)
async def update_operator(
    operator_id: BigId,
    body: OperatorChange,
    operator: CurrentOperator,
    session: DbSession,
    request: Request,
) -> StaffView:
    """Change an account (admins); ``active: false`` deactivates it and ends its sessions."""
    change = StaffChange(**body.model_dump())
    return await operators.update_operator(
        session, operator, operator_id, change, publish=publisher_of(request)
    )


@router.post("/{operator_id}/password", status_code=204)
async def reset_password(
    operator_id: BigId,
    body: NewPassword,
    operator: CurrentOperator,
    session: DbSession,
    request: Request,
) -> Response:
    """A new password (admins); the operator's sessions end."""
    await operators.reset_password(
        session, operator, operator_id, body.password, publish=publisher_of(request)
    )
    return Response(status_code=204)


@router.delete("/{operator_id}/totp", status_code=204)
async def reset_totp(operator_id: BigId, operator: CurrentOperator, session: DbSession) -> Response:
    """Turn the operator's second factor off (admins): they enrol again."""
    await operators.reset_totp(session, operator, operator_id)
    return Response(status_code=204)


@router.post("/{operator_id}/logout", response_model=LoggedOut)
async def force_logout(
    operator_id: BigId, operator: CurrentOperator, session: DbSession, request: Request
) -> LoggedOut:
    """End every session of the operator (supervisors and admins): their next request is
    401 and their open sockets close at once."""
    ended = await operators.force_logout(
        session, operator, operator_id, publish=publisher_of(request)
    )
    return LoggedOut(sessions_ended=ended)
