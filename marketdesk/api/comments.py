"""«Написать комментарий» on the customer card (operators)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from marketdesk.services import comments
from marketdesk.services.comments import CommentCreated

from .deps import CurrentOperator, DbSession, publisher_of
from .types import BigId

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])

CustomerId = Annotated[BigId, Path(description="ID покупателя")]


class NewComment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # the service trims and checks the length with its own message
    text: str = Field(max_length=comments.MAX_COMMENT * 4)


@router.post("/{customer_id}/comments", response_model=CommentCreated, status_code=201)
async def add_comment(
    customer_id: CustomerId,
    body: NewComment,
    request: Request,
    operator: CurrentOperator,
    session: DbSession,
) -> CommentCreated:
    return await comments.add_comment(
        session, operator, customer_id, body.text, publish=publisher_of(request)
    )
