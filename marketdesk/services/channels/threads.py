"""Which conversation a reply belongs to, by what the channel says it replies to: an
e-mail's ``In-Reply-To``/``References`` (the ids of the letters marketdesk sent,
``channel_deliveries.external_id``, and of those it received, ``channel_inbound``), then the
request number in its subject. :func:`receive` then checks the conversation is the
sender's own and not closed (else it goes on in a new one): naming another's number in a
subject joins nothing."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.channels import Channel
from marketdesk.store.models import ChannelDelivery, ChannelInbound, Conversation

__all__ = ["find_thread"]

_MAX_IDS = 50  # a References header can be long; the nearest ids are the ones that matter


async def find_thread(
    session: AsyncSession,
    channel: Channel,
    *,
    replies_to: Sequence[str] = (),
    ticket: str | None = None,
) -> int | None:
    """The conversation of the nearest id in ``replies_to`` (nearest first) that marketdesk
    sent or received in ``channel``; else the one whose number is ``ticket`` (a seller
    request's ``S-2026-0000012``, or the conversation's own number); else None."""
    ids = list(dict.fromkeys(replies_to))[:_MAX_IDS]
    if ids:
        found: dict[str, int] = {}
        sent = await session.execute(
            select(ChannelDelivery.external_id, ChannelDelivery.conversation_id).where(
                ChannelDelivery.channel == channel.value, ChannelDelivery.external_id.in_(ids)
            )
        )
        received = await session.execute(
            select(ChannelInbound.external_id, ChannelInbound.conversation_id).where(
                ChannelInbound.channel == channel.value, ChannelInbound.external_id.in_(ids)
            )
        )
        for external_id, conversation_id in [*sent.all(), *received.all()]:
            found.setdefault(str(external_id), int(conversation_id))
        for external_id in ids:
            if external_id in found:
                return found[external_id]
    if ticket:
        condition = (
            Conversation.id == int(ticket)
            if ticket.isdigit() and len(ticket) < 18
            else Conversation.ticket_number == ticket.upper()
        )
        numbered = await session.scalar(select(Conversation.id).where(condition))
        if numbered is not None:
            return int(numbered)
    return None
