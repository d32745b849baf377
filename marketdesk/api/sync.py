"""The marketplace's integration (issue 16): its records in, ``POST /api/v1/sync/{kind}``
with ``{"records": [...]}``, and the right to be forgotten,
``DELETE /api/v1/sync/customers/{id}``. Only an API key of the ``sync`` scope gets in."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field

from marketdesk.services import sync
from marketdesk.services.sync import MAX_BATCH
from marketdesk.settings import Settings

from .deps import DbSession, SyncKey, get_settings, publisher_of
from .types import BigId

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/sync", tags=["sync"])

SYNC_BODY_LIMIT = 64 * 1024 * 1024
"""A batch's body: 10 000 records of a few kilobytes each (an order with its items)."""


class SyncBatch(BaseModel):
    records: list[Any] = Field(
        description=f"записи одного вида, не больше {MAX_BATCH}; ключ — собственный ID маркетплейса"
    )


class SyncRecordError(BaseModel):
    index: int = Field(description="номер записи в пакете, с нуля")
    message: str


class SyncAnswer(BaseModel):
    stored: int
    errors: list[SyncRecordError]


class ForgetAnswer(BaseModel):
    customer_id: int
    forgotten: bool
    messages_masked: int
    contacts_erased: int
    notifications_erased: int


@router.post("/{kind}", response_model=SyncAnswer, max_body_size=SYNC_BODY_LIMIT)
async def sync_records(
    kind: Annotated[str, Path(max_length=40, description="customers, sellers, products, …")],
    body: SyncBatch,
    key: SyncKey,
    session: DbSession,
    settings: Settings = Depends(get_settings),
) -> SyncAnswer:
    """Upsert by the marketplace's own ids; re-sending a batch changes nothing; the good
    records are stored, each bad one named by its index."""
    result = await sync.sync_batch(
        session,
        sync.sync_kind(kind),
        body.records,
        secret=settings.hashing_secret(),
        actor=key.actor,
    )
    return SyncAnswer(
        stored=result.stored,
        errors=[SyncRecordError(index=e.index, message=e.message) for e in result.errors],
    )


@router.delete("/customers/{customer_id}", response_model=ForgetAnswer)
async def forget_customer(
    customer_id: Annotated[BigId, Path(description="ID покупателя")],
    key: SyncKey,
    session: DbSession,
    request: Request,
) -> ForgetAnswer:
    """The right to be forgotten: the customer's personal data erased, a tombstone left."""
    result = await sync.forget_customer(
        session, customer_id, actor=key.actor, publish=publisher_of(request)
    )
    return ForgetAnswer(
        customer_id=customer_id,
        forgotten=True,
        messages_masked=result.messages_masked,
        contacts_erased=result.contacts_erased,
        notifications_erased=result.notifications_erased,
    )
