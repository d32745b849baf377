"""Operators check a gift certificate: ``GET /api/v1/certificates/lookup``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from marketdesk.services import certificate_lookup
from marketdesk.services.certificate_lookup import LookupResult
from marketdesk.settings import Settings

from .deps import CurrentOperator, DbSession, get_settings
from .types import BigId

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/certificates", tags=["certificates"])


@router.get("/lookup", response_model=LookupResult)
async def lookup(
    operator: CurrentOperator,
    session: DbSession,
    code: Annotated[
        str,
        Query(
            min_length=1,
            max_length=64,
            description="код целиком или последние 4 символа с пластикового сертификата",
        ),
    ],
    customer_id: Annotated[
        BigId | None,
        Query(description="клиент на линии: он ли активировал"),
    ] = None,
    settings: Settings = Depends(get_settings),
) -> LookupResult:
    """Status (not activated / activated, when and by which customer, masked / expired), the
    nominal and the expiry; never the code. Audited, and limited per operator per hour."""
    return await certificate_lookup.lookup_certificate(
        session,
        operator,
        code,
        secret=settings.hashing_secret(),
        for_customer=customer_id,
        per_hour=settings.certificate_lookups_per_hour,
    )
