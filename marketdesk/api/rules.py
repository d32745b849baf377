"""Rule endpoints: the phishing check, markdown grades and marking down, inaccuracy reports,
the coupon-ban review task."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field, model_validator

from marketdesk.domain.markdown import MARKDOWN_GRADES
from marketdesk.domain.phishing import check_message
from marketdesk.services import coupon_bans, descriptions, markdowns
from marketdesk.services.chat import ChatContext
from marketdesk.services.coupon_bans import CouponBanTaskResult
from marketdesk.services.descriptions import InaccuracyResult
from marketdesk.services.markdowns import MarkdownResult
from marketdesk.settings import Settings

from .chat import Chat
from .deps import CurrentOperator, CurrentPrincipal, DbSession, get_settings
from .throttle import per_caller
from .types import BigId

router = APIRouter(prefix="/api/v1", tags=["rules"])

ProductCode = Annotated[BigId, Path()]


class PhishingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sender: str | None = Field(default=None, max_length=1000)
    link: str | None = Field(default=None, max_length=8000)
    text: str | None = Field(default=None, max_length=20_000)
    headers: dict[str, Annotated[str, Field(max_length=4000)]] | None = Field(
        default=None,
        max_length=50,
        description="заголовки пересланного письма (From, Return-Path, "
        "Authentication-Results, DKIM-Signature), если они есть",
    )

    @model_validator(mode="after")
    def _something(self) -> PhishingRequest:
        if not any(v and v.strip() for v in (self.sender, self.link, self.text)):
            raise ValueError("укажите отправителя, ссылку или текст сообщения")
        return self


class PhishingReasonOut(BaseModel):
    code: str
    severity: str
    message: str


class PhishingResponse(BaseModel):
    verdict: str
    reasons: list[PhishingReasonOut]


@router.post("/phishing/check", response_model=PhishingResponse, tags=["rules"])
async def phishing_check(
    body: PhishingRequest, settings: Settings = Depends(get_settings)
) -> PhishingResponse:
    """Anyone may check a message they received (the widget, the bot, the console); «ours»
    only when the sender (one of ``MARKETDESK_OFFICIAL_SENDERS``), a forwarded e-mail's
    DKIM-relevant headers (when given) and the content agree."""
    report = check_message(
        sender=body.sender,
        link=body.link,
        text=body.text,
        senders=settings.official_sender_list(),
        headers=body.headers,
    )
    return PhishingResponse(
        verdict=str(report.verdict),
        reasons=[
            PhishingReasonOut(code=str(r.code), severity=str(r.severity), message=r.message_ru)
            for r in report.reasons
        ],
    )


class GradeOut(BaseModel):
    grade: int
    reason: str
    discount_percent: int
    condition: str | None


@router.get("/markdown/grades", response_model=list[GradeOut])
async def markdown_grades(operator: CurrentOperator) -> list[GradeOut]:
    return [
        GradeOut(
            grade=g.grade,
            reason=g.reason_ru,
            discount_percent=g.discount_percent,
            condition=g.condition_ru,
        )
        for g in MARKDOWN_GRADES.values()
    ]


class MarkdownRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grade: int = Field(ge=1, le=7)
    reason: str = Field(min_length=1, max_length=500)


@router.put("/products/{code}/markdown", response_model=MarkdownResult)
async def set_markdown(
    code: ProductCode, body: MarkdownRequest, operator: CurrentOperator, session: DbSession
) -> MarkdownResult:
    return await markdowns.set_markdown(session, operator, code, body.grade, body.reason)


class InaccuracyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000, description="что не так в описании")
    conversation_id: BigId | None = None


@router.post(
    "/products/{code}/inaccuracy",
    response_model=InaccuracyResult,
    dependencies=[Depends(per_caller("tasks"))],
)
async def report_inaccuracy(
    code: ProductCode,
    body: InaccuracyRequest,
    principal: CurrentPrincipal,
    session: DbSession,
    ctx: ChatContext = Chat,
) -> InaccuracyResult:
    """Retail: a task «Ошибка описания»; FBO/FBS: a customer gets the seller's chat opened
    (``seller_conversation_id``)."""
    return await descriptions.report_inaccuracy(
        session, principal, code, body.text, conversation_id=body.conversation_id, ctx=ctx
    )


class ReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_id: BigId | None = None


@router.post("/customers/{customer_id}/coupon-ban/review", response_model=CouponBanTaskResult)
async def coupon_ban_review(
    customer_id: ProductCode,
    operator: CurrentOperator,
    session: DbSession,
    body: ReviewRequest | None = None,
) -> Any:
    return await coupon_bans.request_coupon_ban_review(
        session, operator, customer_id, conversation_id=body.conversation_id if body else None
    )
