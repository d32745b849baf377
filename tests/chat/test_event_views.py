"""The live events' form of a conversation (``views.conversation_json``) is the staff view's
JSON dump, on its first build and from what it keeps of a conversation alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from marketdesk.services.chat.views import conversation_json, conversation_view

NOW = datetime.now(UTC).replace(microsecond=123456)


def _row(conversation_id: int, **changes: Any) -> SimpleNamespace:
    values: dict[str, Any] = {
        "id": conversation_id,
        "status": "assigned",
        "line": "general",
        "channel": "web",
        "topic": "delivery",
        "assigned_operator_id": 7,
        "customer_id": 58561573,
        "visitor_id": None,
        "ticket_number": None,
        "seller_topic": None,
        "seller_subtopic": None,
        "rating": None,
        "last_seq": 4,
        "created_at": NOW - timedelta(minutes=30),
        "queued_at": (NOW - timedelta(minutes=20)).replace(microsecond=0),
        "resolved_at": None,
        "closed_at": None,
        "first_response_at": NOW - timedelta(minutes=19),
        "first_response_due_at": None,
        "next_response_due_at": NOW + timedelta(minutes=9),
        "resolution_due_at": NOW + timedelta(hours=23),
        "escalated_at": None,
        "escalation_due_at": None,
    }
    values.update(changes)
    return SimpleNamespace(**values)


def _same(row: SimpleNamespace) -> None:
    assert conversation_json(row) == conversation_view(row).model_dump(mode="json")


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"next_response_due_at": None},  # only the resolution clock runs
        {"next_response_due_at": NOW - timedelta(seconds=5)},  # breached: may escalate
        {"next_response_due_at": NOW + timedelta(seconds=30)},  # at risk
        {
            "status": "queued",
            "assigned_operator_id": None,
            "first_response_at": None,
            "first_response_due_at": NOW + timedelta(minutes=2),
        },
        {
            "line": "seller_chat",
            "seller_topic": "Заказ",
            "next_response_due_at": None,
            "resolution_due_at": None,
        },
        {
            "status": "resolved",
            "resolved_at": NOW,
            "next_response_due_at": None,
            "resolution_due_at": None,
            "rating": 5,
        },
        {"escalated_at": NOW - timedelta(minutes=1), "escalation_due_at": NOW + timedelta(hours=2)},
        {"channel": "telegram", "visitor_id": "4f0c2a51-9d1e-4c55-8a43-2f7a9b0c1d2e"},
    ],
)
def test_the_events_form_is_the_views_dump(changes: dict[str, Any]) -> None:
    conversation_id = 900_000 + len(repr(changes))
    first = _row(conversation_id, **changes)
    _same(first)  # built from the model, its steady part kept
    # the next message: last_seq and the clocks change, the rest is taken from what was kept
    later = _row(
        conversation_id,
        **{**changes, "last_seq": 9, "next_response_due_at": NOW + timedelta(minutes=4)},
    )
    _same(later)
    # a change of the steady part (the conversation moved on) is seen, not served stale
    moved = _row(conversation_id, **{**changes, "status": "closed", "closed_at": NOW})
    _same(moved)
