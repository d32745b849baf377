"""Operators, for handing a conversation to a colleague."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from marketdesk.domain.lines import Line
from marketdesk.services import operators
from marketdesk.services.operators import OperatorView

from .deps import CurrentOperator, DbSession

router = APIRouter(prefix="/api/v1/operators", tags=["operators"])


class OperatorList(BaseModel):
    operators: list[OperatorView]


@router.get("", response_model=OperatorList)
async def list_operators(
    operator: CurrentOperator,
    session: DbSession,
    line: Line | None = None,
) -> OperatorList:
    return OperatorList(operators=await operators.list_operators(session, operator, line=line))
