"""The audit log viewer: ``GET /api/v1/audit`` (supervisors and admins), as JSON pages or CSV."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from marketdesk.services import audit_log
from marketdesk.services.audit_log import AuditFilter, AuditPage

from .deps import CurrentOperator, DbSession, get_database

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get(
    "",
    response_model=AuditPage,
    responses={200: {"content": {"text/csv": {}}, "description": "JSON page, or CSV"}},
)
async def list_audit(
    request: Request,
    operator: CurrentOperator,
    session: DbSession,
    actor: Annotated[
        str | None,
        Query(max_length=80, description="логин сотрудника, customer:ID, visitor, system"),
    ] = None,
    action: Annotated[
        str | None, Query(max_length=64, description="действие или его начало: task, task.status")
    ] = None,
    entity: Annotated[
        str | None, Query(max_length=100, description="вид объекта или вид:ID, customer:61000001")
    ] = None,
    date_from: Annotated[date | None, Query(alias="from", description="с даты (МСК)")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="по дату включительно")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> AuditPage | StreamingResponse:
    """Who did what: contacts revealed, replies the guard refused and why, rule decisions,
    logins and failed logins, exports. Newest first; ``format=csv`` exports every matching
    entry (up to 100 000, in the order written) and is itself audited."""
    wanted = AuditFilter(
        actor=actor, action=action, entity=entity, date_from=date_from, date_to=date_to
    )
    if format == "csv":
        lines = await audit_log.csv_rows(session, get_database(request), operator, wanted)
        return StreamingResponse(
            lines,
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": 'attachment; filename="audit.csv"',
                "Cache-Control": "no-store",
            },
        )
    return await audit_log.list_entries(session, operator, wanted, limit=limit, offset=offset)
