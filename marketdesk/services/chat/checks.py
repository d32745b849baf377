"""What a chat write must satisfy before and under its lock: the text, the idempotency key,
who may read and write a conversation in its present state."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.chat_access import SUPERVISOR_ROLES
from marketdesk.domain.conversations import ConversationStatus as S
from marketdesk.domain.conversations import move
from marketdesk.domain.lines import LINE_TITLES_RU, Line
from marketdesk.domain.roles import Role
from marketdesk.domain.seller_chat import contacts_in
from marketdesk.store.models import Conversation

from .. import chat_access as access
from ..errors import (
    ClientMsgIdCharacters,
    ContactsInSellerChat,
    ConversationClosed,
    ConversationNotFound,
    InvalidClientMsgId,
    InvalidLine,
    InvalidText,
    InvalidTextCharacters,
    MessageEmpty,
    MessageTooLong,
    NotAssigned,
    NotesStaffOnly,
    WrongLine,
)
from ..principals import Principal

__all__ = [
    "MAX_CLIENT_MSG_ID",
    "MAX_TEXT",
    "STAFF_ROLES",
    "check_send",
    "is_supervisor",
    "load",
    "may_read_now",
    "move_to",
    "not_found",
    "operator_lines",
    "require_line",
    "require_valid_line",
    "seller_chat_refusal",
    "send_refusal",
    "validate_text",
]

MAX_TEXT = 4_000
MAX_CLIENT_MSG_ID = 64
STAFF_ROLES = (Role.OPERATOR, Role.SUPERVISOR)


def validate_text(text: str, *, allow_empty: bool = False) -> None:
    """At most 4 000 characters; storable on every backend (no NUL, valid Unicode)."""
    if len(text) > MAX_TEXT:
        raise MessageTooLong(limit=MAX_TEXT)
    if not allow_empty and not text.strip():
        raise MessageEmpty()
    if "\x00" in text:
        raise InvalidText()
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidTextCharacters() from None


def _validate_client_msg_id(client_msg_id: str) -> None:
    if (
        not client_msg_id
        or len(client_msg_id) > MAX_CLIENT_MSG_ID
        or not client_msg_id.isprintable()
    ):
        raise InvalidClientMsgId(limit=MAX_CLIENT_MSG_ID)
    try:
        client_msg_id.encode("ascii")
    except UnicodeEncodeError:
        raise ClientMsgIdCharacters() from None


def check_send(
    principal: Principal, client_msg_id: str, text: str, private: bool, *, allow_empty: bool = False
) -> None:
    """What a send must be before it touches the database."""
    validate_text(text, allow_empty=allow_empty)
    _validate_client_msg_id(client_msg_id)
    if principal.is_operator:
        principal.require_operator(*STAFF_ROLES)
    elif private:
        raise NotesStaffOnly()


def move_to(conversation: Any, target: S) -> None:
    """Set the conversation's status by the domain's table of moves
    (:mod:`marketdesk.domain.conversations`); a move the table does not allow is a bug of
    the caller and raises :class:`~marketdesk.domain.conversations.InvalidConversationMove`."""
    conversation.status = move(conversation.status, target)


def not_found(conversation_id: int) -> ConversationNotFound:
    # the same answer whether it does not exist or belongs to someone else
    return ConversationNotFound(conversation_id=conversation_id)


def is_supervisor(principal: Principal) -> bool:
    return bool(principal.roles & SUPERVISOR_ROLES)


def may_read_now(principal: Principal, conversation: Any) -> bool:
    """Read access decided without a query (``services.chat_access``); False also when an
    operator's lines or history would decide (the caller then asks
    :func:`chat_access.may_read`)."""
    return access.may_read_now(principal, conversation) is True


async def load(session: AsyncSession, principal: Principal, conversation_id: int) -> Conversation:
    """The conversation, if the caller may read it (``services.chat_access``: its
    participant, its line's operators, its present and past operators, supervisors);
    otherwise the very answer a missing conversation gets."""
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None or not await access.may_read(session, principal, conversation):
        raise not_found(conversation_id)
    return conversation


async def operator_lines(session: AsyncSession, operator_id: int) -> set[str]:
    return set(await access.operator_lines(session, operator_id))


def require_valid_line(line: str, *, field: str | None = None) -> None:
    if line not in {ln.value for ln in Line}:
        raise InvalidLine(**({"fields": [field]} if field else {}))


async def require_line(session: AsyncSession, principal: Principal, line: str) -> None:
    principal.require_operator(*STAFF_ROLES)
    if is_supervisor(principal):
        return
    if line not in await operator_lines(session, int(principal.id)):
        raise WrongLine(line=LINE_TITLES_RU[Line(line)])


def send_refusal(principal: Principal, conversation: Any, private: bool) -> Exception | None:
    """Why ``principal`` may not write in this conversation now, or None (checked before the
    send and again under the lock)."""
    if conversation.status == S.CLOSED:
        return ConversationClosed()
    if (
        principal.is_operator
        and not private
        and not is_supervisor(principal)
        and conversation.assigned_operator_id != principal.id
        and conversation.line != Line.SELLER_CHAT  # the seller's accounts: read access decides
    ):
        return NotAssigned()
    return None


def seller_chat_refusal(conversation: Any, text: str, private: bool) -> Exception | None:
    """The buyer ↔ seller chat's guard (``domain.seller_chat``), both directions: no phone,
    e-mail or payment details in a message to the other party."""
    if private or conversation.line != Line.SELLER_CHAT or not text.strip():
        return None
    found = contacts_in(text)
    return ContactsInSellerChat(found=[str(kind) for kind in found]) if found else None
