"""What each event tells (its ``data``): ids and the facts a marketplace's system acts on,
built from the rows of the write that raised it. Money in kopecks, times in ISO 8601 (UTC);
no certificate code (only its id), no password, no token."""

from __future__ import annotations

from typing import Any

__all__ = [
    "certificate_data",
    "conversation_data",
    "message_data",
    "rating_data",
    "return_data",
    "task_data",
    "withdrawal_data",
]


def conversation_data(conversation: Any) -> dict[str, Any]:
    """A conversation (an ORM object or a Core row of ``conversations``)."""
    return {
        "conversation_id": conversation.id,
        "status": conversation.status,
        "line": conversation.line,
        "channel": conversation.channel,
        "customer_id": conversation.customer_id,
        "visitor": conversation.customer_id is None,
        "assigned_operator_id": conversation.assigned_operator_id,
        "ticket_number": conversation.ticket_number,
        "created_at": conversation.created_at,
        "resolved_at": conversation.resolved_at,
    }


def message_data(message: Any, conversation: Any) -> dict[str, Any]:
    """A stored message (``MessageView``) of ``conversation``; a private note is marked
    ``private`` (staff only: the receiver decides whether to show it anywhere)."""
    return {
        "message_id": message.id,
        "conversation_id": message.conversation_id,
        "customer_id": conversation.customer_id,
        "seq": message.seq,
        "sender_kind": message.sender_kind,
        "sender_name": message.sender_name,
        "text": message.text,
        "private": message.private,
        "channel": message.channel,
        "attachments": len(message.attachments),
        "created_at": message.created_at,
    }


def task_data(task: Any, change: str | None = None, **details: Any) -> dict[str, Any]:
    """A back-office task after the write; ``change`` (``status``, ``assigned``,
    ``escalated``) and its details for ``task.changed``."""
    data: dict[str, Any] = {
        "task_number": task.number,
        "queue": task.queue,
        "title": task.title,
        "status": str(task.status),
        "priority": str(task.priority),
        "assignee_id": task.assignee_id,
        "customer_id": task.customer_id,
        "order_number": task.order_number,
        "product_id": task.product_id,
        "conversation_id": task.conversation_id,
        "deadline_at": task.deadline_at,
        "escalated_at": task.escalated_at,
        "outcome": task.outcome,
        "created_at": task.created_at,
        "updated_at": task.updated_at,
    }
    if change is not None:
        data["change"] = change
        data["details"] = details
    return data


def rating_data(conversation: Any) -> dict[str, Any]:
    """The customer's rating of a conversation («Оценка сервиса»)."""
    return {
        "conversation_id": conversation.id,
        "customer_id": conversation.customer_id,
        "line": conversation.line,
        "assigned_operator_id": conversation.assigned_operator_id,
        "rating": conversation.rating,
        "comment": conversation.rating_comment,
        "rated_at": conversation.rated_at,
    }


def certificate_data(
    certificate: Any, customer_id: int, activated_at: Any, expires_at: Any
) -> dict[str, Any]:
    """A gift certificate activated to a customer's balance (never its code)."""
    return {
        "certificate_id": certificate.id,
        "customer_id": customer_id,
        "nominal": certificate.nominal,
        "kind": certificate.kind,
        "activated_at": activated_at,
        "money_expires_at": expires_at,
    }


def withdrawal_data(entry: Any) -> dict[str, Any]:
    """A withdrawal request from a customer's rubles balance (``amount`` in kopecks)."""
    return {
        "withdrawal_id": entry.id,
        "customer_id": entry.customer_id,
        "amount": -entry.amount,
        "created_at": entry.created_at,
    }


def return_data(
    record: Any, order_number: str, items: list[tuple[int, str, int]]
) -> dict[str, Any]:
    """An accepted return request with its items (product id, name, quantity)."""
    return {
        "return_number": record.number,
        "order_number": order_number,
        "customer_id": record.customer_id,
        "reason": record.reason,
        "task_number": record.task_number,
        "items": [
            {"product_id": product_id, "name": name, "quantity": quantity}
            for product_id, name, quantity in items
        ],
        "created_at": record.created_at,
    }
