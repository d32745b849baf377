"""Every status change the chat's use cases make is a move of the domain's table
(``domain.conversations``, issue 19), walked through the HTTP API."""

from __future__ import annotations

from marketdesk.domain.conversations import ConversationStatus, can_move
from tests.chat.conftest import ChatEnv


class _Walk:
    """Follows one conversation and checks each status it moves to."""

    def __init__(self, env: ChatEnv, reader: str, cid: int) -> None:
        self.env, self.reader, self.cid = env, reader, cid
        self.status = ConversationStatus(env.get(reader, cid)["status"])
        self.moves: list[tuple[str, str]] = []

    def after(self, response, expected: str, *, reader: str | None = None) -> None:
        assert response.status_code in (200, 201), response.text
        now = ConversationStatus(self.env.get(reader or self.reader, self.cid)["status"])
        assert now == expected
        assert can_move(self.status, now), (self.status, now)
        self.moves.append((self.status.value, now.value))
        self.status = now


def test_a_conversation_walks_only_along_the_table(fresh_env: ChatEnv) -> None:
    env = fresh_env
    _, first = env.operator(lines=("general",))
    second_id, second = env.operator(lines=("general", "seller"))
    _, supervisor = env.operator(lines=(), roles=("supervisor",))
    _, customer = env.customer()
    cid = env.conversation(customer)["id"]
    walk = _Walk(env, supervisor, cid)
    path = f"/api/v1/conversations/{cid}"

    walk.after(env.post(customer, f"{path}/handoff"), "queued")
    walk.after(env.post(supervisor, f"{path}/transfer", {"to_line": "seller"}), "queued")
    walk.after(env.post(second, f"{path}/take"), "assigned")
    walk.after(env.post(second, f"{path}/transfer", {"to_line": "general"}), "queued")
    walk.after(env.post(first, f"{path}/take"), "assigned")
    walk.after(env.post(first, f"{path}/transfer", {"to_operator_id": second_id}), "assigned")
    walk.after(env.post(second, f"{path}/resolve"), "resolved")
    walk.after(env.send(customer, cid, "Ещё вопрос"), "assigned")  # back to its operator
    walk.after(env.post(supervisor, f"{path}/transfer", {"to_line": "general"}), "queued")
    walk.after(env.post(supervisor, f"{path}/resolve"), "resolved")
    walk.after(env.send(customer, cid, "И ещё один"), "queued")  # nobody has it: the queue
    walk.after(env.post(first, f"{path}/take"), "assigned")
    walk.after(env.post(first, f"{path}/close"), "closed")
    assert walk.moves == [
        ("bot", "queued"),
        ("queued", "queued"),
        ("queued", "assigned"),
        ("assigned", "queued"),
        ("queued", "assigned"),
        ("assigned", "assigned"),
        ("assigned", "resolved"),
        ("resolved", "assigned"),
        ("assigned", "queued"),
        ("queued", "resolved"),
        ("resolved", "queued"),
        ("queued", "assigned"),
        ("assigned", "closed"),
    ]


def test_the_bot_hands_over_to_a_supervisor_or_the_customer_closes(
    fresh_env: ChatEnv,
) -> None:
    env = fresh_env
    _, supervisor = env.operator(lines=(), roles=("supervisor",))
    _, customer = env.customer()

    resolved = env.conversation(customer)["id"]
    walk = _Walk(env, supervisor, resolved)
    walk.after(env.post(supervisor, f"/api/v1/conversations/{resolved}/resolve"), "resolved")
    walk.after(env.post(customer, f"/api/v1/conversations/{resolved}/handoff"), "queued")

    # one open conversation per line: the second one goes to seller support
    closed = env.conversation(
        customer, "seller", seller_topic="Заказы", seller_subtopic=("Поиск потерявшегося заказа")
    )["id"]
    walk = _Walk(env, supervisor, closed)
    walk.after(env.post(customer, f"/api/v1/conversations/{closed}/close"), "closed")
