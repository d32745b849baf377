"""The conversation status machine (issue 19: states as types, like tasks)."""

import itertools

import pytest

from marketdesk.domain.conversations import (
    CONVERSATION_TRANSITIONS,
    OPEN_STATUSES,
    STATUS_TITLES_RU,
    ConversationStatus,
    InvalidConversationMove,
    can_move,
    is_open,
    move,
)

S = ConversationStatus

# Every move the chat's use cases make today (services/conversations.py), with the use case.
ALLOWED = {
    (S.BOT, S.QUEUED): "request_operator; the bot hands off",
    (S.QUEUED, S.ASSIGNED): "dispatch_queue, take, transfer to an operator",
    (S.QUEUED, S.QUEUED): "transfer to a line",
    (S.ASSIGNED, S.QUEUED): "transfer to a line",
    (S.ASSIGNED, S.ASSIGNED): "transfer to an operator",
    (S.RESOLVED, S.ASSIGNED): "the customer writes again, their operator is active",
    (S.RESOLVED, S.QUEUED): "the customer writes again or asks for an operator",
    (S.BOT, S.RESOLVED): "a supervisor resolves",
    (S.QUEUED, S.RESOLVED): "a supervisor resolves",
    (S.ASSIGNED, S.RESOLVED): "resolve",
    (S.BOT, S.CLOSED): "close",
    (S.QUEUED, S.CLOSED): "close",
    (S.ASSIGNED, S.CLOSED): "close",
    (S.RESOLVED, S.CLOSED): "close",
}


def test_the_statuses_are_the_database_values_in_order() -> None:
    assert [s.value for s in ConversationStatus] == [
        "bot",
        "queued",
        "assigned",
        "resolved",
        "closed",
    ]


@pytest.mark.parametrize(
    ("source", "target"),
    list(itertools.product(ConversationStatus, repeat=2)),
    ids=lambda s: s.value,
)
def test_the_table_is_exactly_the_moves_the_use_cases_make(
    source: ConversationStatus, target: ConversationStatus
) -> None:
    allowed = (source, target) in ALLOWED
    assert can_move(source, target) is allowed
    assert (target in CONVERSATION_TRANSITIONS[source]) is allowed
    if allowed:
        assert move(source, target) is target
    else:
        with pytest.raises(InvalidConversationMove) as refused:
            move(source, target)
        assert refused.value.source is source
        assert refused.value.target is target


def test_closed_is_final_and_reachable_from_every_other_status() -> None:
    assert not CONVERSATION_TRANSITIONS[S.CLOSED]
    assert all(can_move(s, S.CLOSED) for s in ConversationStatus if s is not S.CLOSED)


def test_nothing_goes_back_to_the_bot() -> None:
    assert not any(can_move(s, S.BOT) for s in ConversationStatus)


def test_a_refused_move_is_explained_in_russian() -> None:
    with pytest.raises(InvalidConversationMove) as refused:
        move("closed", "queued")
    assert str(refused.value) == (
        "Нельзя перевести диалог из статуса «Диалог закрыт» в статус «Ожидает оператора»."
    )


def test_strings_are_accepted_and_unknown_ones_refused() -> None:
    assert can_move("bot", "queued") is True
    assert move("resolved", "assigned") is S.ASSIGNED
    with pytest.raises(ValueError, match="open"):
        can_move("open", "closed")


def test_open_statuses() -> None:
    assert OPEN_STATUSES == (S.BOT, S.QUEUED, S.ASSIGNED)
    assert [s for s in ConversationStatus if is_open(s)] == list(OPEN_STATUSES)
    assert not is_open("resolved")
    assert not is_open("closed")


def test_every_status_has_its_russian_title() -> None:
    assert dict(STATUS_TITLES_RU) == {
        S.BOT: "Отвечает бот",
        S.QUEUED: "Ожидает оператора",
        S.ASSIGNED: "Оператор в чате",
        S.RESOLVED: "Вопрос решён",
        S.CLOSED: "Диалог закрыт",
    }
    assert S.QUEUED.title_ru == "Ожидает оператора"
