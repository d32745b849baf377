"""Conversations over REST: the bot first, handoff, operators, access, bad input."""

from __future__ import annotations

import uuid

from tests.chat.conftest import ChatEnv, auth
from tests.errors import assert_error


def test_visitor_gets_a_token_and_a_conversation_the_bot_answers(env: ChatEnv) -> None:
    token = env.visitor()
    conversation = env.conversation(token)
    assert conversation["status"] == "bot"
    assert conversation["line"] == "general"

    response = env.send(token, conversation["id"], "Как активировать подарочный сертификат?")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["seq"] == 1
    assert body["sender_kind"] == "visitor"
    assert body["duplicate"] is False
    [reply] = body["replies"]
    assert reply["sender_kind"] == "bot"
    assert reply["seq"] == 2
    assert reply["bot"]["action"] == "answer"
    assert reply["bot"]["topic"] == "certificate_activation"
    assert body["conversation"]["status"] == "bot"
    assert body["conversation"]["topic"] == "certificate_activation"

    messages = env.messages(token, conversation["id"])
    assert [m["seq"] for m in messages] == [1, 2]
    assert messages[0]["text"] == "Как активировать подарочный сертификат?"
    assert [m["seq"] for m in env.messages(token, conversation["id"], after_seq=1)] == [2]
    assert env.messages(token, conversation["id"], after_seq=2) == []


def test_the_same_client_msg_id_returns_the_same_message(env: ChatEnv) -> None:
    token = env.visitor()
    conversation = env.conversation(token)
    first = env.send(token, conversation["id"], "Где мой заказ?", client_msg_id="retry-1")
    again = env.send(token, conversation["id"], "Где мой заказ?", client_msg_id="retry-1")
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert (again.json()["id"], again.json()["seq"]) == (first.json()["id"], first.json()["seq"])
    # one customer message and one bot answer, not two of each
    assert [m["sender_kind"] for m in env.messages(token, conversation["id"])] == ["visitor", "bot"]


def test_text_is_stored_exactly_as_given(env: ChatEnv) -> None:
    token = env.visitor()
    conversation = env.conversation(token)
    text = "  <b>жирный</b> & \"кавычки\" 'и' <script>alert(1)</script>\n\tвторая строка 😀  "
    response = env.send(token, conversation["id"], text)
    assert response.status_code == 201
    assert env.messages(token, conversation["id"])[0]["text"] == text


def test_messages_over_4000_characters_are_refused_and_nothing_is_stored(env: ChatEnv) -> None:
    token = env.visitor()
    conversation = env.conversation(token)
    response = env.send(token, conversation["id"], "я" * 4001)
    assert_error(response, 422, "message_too_long")
    assert env.messages(token, conversation["id"]) == []
    assert env.get(token, conversation["id"])["last_seq"] == 0
    ok = env.send(token, conversation["id"], "я" * 4000)
    assert ok.status_code == 201
    assert ok.json()["seq"] == 1


def test_empty_nul_and_broken_texts_are_refused(env: ChatEnv) -> None:
    token = env.visitor()
    conversation = env.conversation(token)
    # a NUL is refused before the route by the input guard (issue 18), the same on every route
    for text, code in (("   ", "message_empty"), ("a\x00b", "invalid_characters")):
        response = env.send(token, conversation["id"], text)
        assert_error(response, 422, code)
    raw = b'{"client_msg_id": "x1", "text": "\\ud800"}'
    response = env.client.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        content=raw,
        headers={**auth(token), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert env.messages(token, conversation["id"]) == []


def test_nobody_reads_another_ones_conversation_and_learns_nothing(env: ChatEnv) -> None:
    owner = env.visitor()
    other_visitor = env.visitor()
    _, customer = env.customer()
    conversation = env.conversation(owner)
    env.send(owner, conversation["id"], "Мой секретный вопрос")
    missing_id = conversation["id"] + 10_000

    for intruder in (other_visitor, customer):
        answers = [
            env.client.get(f"/api/v1/conversations/{cid}/messages", headers=auth(intruder))
            for cid in (conversation["id"], missing_id)
        ]
        assert [a.status_code for a in answers] == [404, 404]
        assert answers[0].json()["error"]["code"] == answers[1].json()["error"]["code"]
        assert "секретный" not in answers[0].text
        send = env.send(intruder, conversation["id"], "влезу")
        assert send.status_code == 404
        for path in ("", "/handoff", "/rating", "/close"):
            method = env.client.get if path == "" else env.client.post
            kwargs = {"json": {"rating": 5}} if path == "/rating" else {}
            response = method(
                f"/api/v1/conversations/{conversation['id']}{path}",
                headers=auth(intruder),
                **kwargs,
            )
            assert response.status_code == 404, (path, response.text)
    listed = env.client.get("/api/v1/conversations", headers=auth(other_visitor)).json()
    assert listed == {"conversations": []}
    assert env.messages(owner, conversation["id"])[0]["text"] == "Мой секретный вопрос"


def test_without_a_token_it_is_401(env: ChatEnv) -> None:
    response = env.client.post("/api/v1/conversations", json={"line": "general"})
    assert_error(response, 401, "unauthorized")


def test_handoff_puts_the_conversation_in_its_line_queue_with_transcript_and_topic(
    fresh_env: ChatEnv,
) -> None:
    env = fresh_env
    token = env.visitor()
    conversation = env.conversation(token)
    env.send(token, conversation["id"], "Как активировать подарочный сертификат?")
    response = env.send(token, conversation["id"], "Позовите оператора, пожалуйста")
    assert response.status_code == 201
    [bot] = response.json()["replies"]
    assert bot["bot"]["action"] == "handoff"
    assert response.json()["conversation"]["status"] == "queued"

    operator_id, operator = env.operator(lines=("general",))
    queue = env.client.get("/api/v1/queue/general", headers=auth(operator))
    assert queue.status_code == 200
    [item] = queue.json()["items"]
    assert queue.json()["total"] == 1
    assert item["conversation"]["id"] == conversation["id"]
    assert item["conversation"]["topic"] == "certificate_activation"
    # issue 18: no transcript in the queue, the customer's last message as a preview; the
    # transcript is fetched on demand
    assert "transcript" not in item
    assert item["preview"] == "Позовите оператора, пожалуйста"
    transcript = env.messages(operator, conversation["id"])
    assert [m["sender_kind"] for m in transcript] == ["visitor", "bot", "visitor", "bot"]
    # an operator of another line does not see it
    _, seller_op = env.operator(lines=("seller",))
    assert env.client.get("/api/v1/queue/general", headers=auth(seller_op)).status_code == 403
    # customers have no queue
    assert env.client.get("/api/v1/queue/general", headers=auth(token)).status_code == 403

    taken = env.post(operator, f"/api/v1/conversations/{conversation['id']}/take")
    assert taken.status_code == 200, taken.text
    assert taken.json()["status"] == "assigned"
    assert taken.json()["assigned_operator_id"] == operator_id
    assert env.client.get("/api/v1/queue/general", headers=auth(operator)).json()["items"] == []
    again = env.post(seller_op, f"/api/v1/conversations/{conversation['id']}/take")
    # issue 18: another line's conversation answers like a missing one
    assert_error(again, 404, "conversation_not_found")

    # the bot no longer answers once a person has the chat
    reply = env.send(token, conversation["id"], "Как активировать сертификат?")
    assert reply.json()["replies"] == []
    customer_view = env.get(token, conversation["id"])
    assert customer_view["status"] == "assigned"
    assert customer_view["operator_connected"] is True
    assert "assigned_operator_id" not in customer_view


def test_handoff_button_queues_without_a_message(fresh_env: ChatEnv) -> None:
    env = fresh_env
    token = env.visitor()
    conversation = env.conversation(token)
    response = env.post(token, f"/api/v1/conversations/{conversation['id']}/handoff")
    assert response.status_code == 200
    assert response.json()["status"] == "queued"
    texts = [m["text"] for m in env.messages(token, conversation["id"])]
    assert any("1–3 минут" in t for t in texts)


def test_auto_assignment_picks_the_least_loaded_available_operator_within_capacity(
    fresh_env: ChatEnv,
) -> None:
    env = fresh_env
    busy_id, busy = env.operator(lines=("seller",), capacity=2, available=True)
    idle_id, _ = env.operator(lines=("seller",), capacity=1, available=True)
    away_id, away = env.operator(lines=("seller",), capacity=5, available=False)
    seller = {"seller_topic": "Финансы", "seller_subtopic": "Финансовые отчёты"}

    def new_handoff() -> dict:
        token = env.visitor()
        conversation = env.conversation(token, "seller", **seller)
        response = env.post(token, f"/api/v1/conversations/{conversation['id']}/handoff")
        assert response.status_code == 200
        return {"token": token, **env.get(busy, conversation["id"])}

    first = new_handoff()
    assert first["status"] == "assigned"
    first_op = first["assigned_operator_id"]
    assert first_op in (busy_id, idle_id)
    second = new_handoff()
    # the other one had no chat yet: least loaded wins
    assert {first_op, second["assigned_operator_id"]} == {busy_id, idle_id}
    third = new_handoff()
    assert third["assigned_operator_id"] == busy_id  # idle is full (capacity 1)
    fourth = new_handoff()
    assert fourth["status"] == "queued"  # everyone available is full; away is not available
    assert fourth["assigned_operator_id"] is None

    # resolving one frees a place: the queued conversation goes to that operator
    resolved = env.post(busy, f"/api/v1/conversations/{third['id']}/resolve")
    assert resolved.status_code == 200
    assert env.get(busy, fourth["id"])["assigned_operator_id"] == busy_id
    # the operator who went away gets nothing; coming back pulls from the queue
    fifth = new_handoff()
    assert fifth["status"] == "queued"
    assert env.get(busy, fifth["id"])["assigned_operator_id"] is None
    env.set_available(away, True)
    assert env.get(busy, fifth["id"])["assigned_operator_id"] == away_id


def test_availability_pulls_waiting_conversations(fresh_env: ChatEnv) -> None:
    env = fresh_env
    operator_id, operator = env.operator(lines=("travel_priority",), capacity=2)
    _, customer = env.customer(travel={"has_hotel_booking": True})
    conversation = env.conversation(customer, "travel_priority")
    assert conversation["line"] == "travel_priority"
    env.post(customer, f"/api/v1/conversations/{conversation['id']}/handoff")
    assert env.get(operator, conversation["id"])["status"] == "queued"
    env.set_available(operator, True)
    assert env.get(operator, conversation["id"])["assigned_operator_id"] == operator_id


def test_operator_messages_private_notes_and_what_the_customer_sees(fresh_env: ChatEnv) -> None:
    env = fresh_env
    operator_id, operator = env.operator(available=True)
    token = env.visitor()
    conversation = env.conversation(token)
    env.post(token, f"/api/v1/conversations/{conversation['id']}/handoff")
    assert env.get(operator, conversation["id"])["assigned_operator_id"] == operator_id

    public = env.send(operator, conversation["id"], "Здравствуйте! Проверяю заказ.")
    assert public.status_code == 201, public.text
    note = env.send(operator, conversation["id"], "Похоже на фрод, проверить", private=True)
    assert note.status_code == 201
    assert note.json()["private"] is True

    seen_by_customer = env.messages(token, conversation["id"])
    assert "Похоже на фрод, проверить" not in [m["text"] for m in seen_by_customer]
    assert "Здравствуйте! Проверяю заказ." in [m["text"] for m in seen_by_customer]
    seen_by_staff = env.messages(operator, conversation["id"])
    assert "Похоже на фрод, проверить" in [m["text"] for m in seen_by_staff]
    # a customer cannot write a private note
    sneaky = env.send(token, conversation["id"], "тайна", private=True)
    assert sneaky.status_code == 403
    # an operator who is not assigned cannot write to the customer
    _, other = env.operator()
    assert_error(env.send(other, conversation["id"], "я тоже тут"), 403, "not_assigned")


def test_transfer_to_another_operator_and_to_another_line(fresh_env: ChatEnv) -> None:
    env = fresh_env
    first_id, first = env.operator(lines=("general",), available=True)
    second_id, second = env.operator(lines=("general",), capacity=3)
    seller_id, seller_op = env.operator(lines=("seller",), available=True)
    token = env.visitor()
    conversation = env.conversation(token)
    env.post(token, f"/api/v1/conversations/{conversation['id']}/handoff")
    assert env.get(first, conversation["id"])["assigned_operator_id"] == first_id

    path = f"/api/v1/conversations/{conversation['id']}/transfer"
    assert env.post(second, path, {"to_operator_id": second_id}).status_code == 403
    # the target does not serve the conversation's line
    assert_error(env.post(first, path, {"to_operator_id": seller_id}), 409, "operator_not_on_line")
    moved = env.post(first, path, {"to_operator_id": second_id})
    assert moved.status_code == 200, moved.text
    assert moved.json()["assigned_operator_id"] == second_id

    to_line = env.post(second, path, {"to_line": "seller"})
    assert to_line.status_code == 200, to_line.text
    assert to_line.json()["line"] == "seller"
    # the seller operator is available with room: auto-assigned at once
    after = env.get(seller_op, conversation["id"])
    assert (after["status"], after["assigned_operator_id"]) == ("assigned", seller_id)
    texts = [m["text"] for m in env.messages(token, conversation["id"])]
    assert any("Поддержка продавцов" in t for t in texts)
    assert env.post(first, path, {}).status_code == 422


def test_resolve_rate_reopen_and_close(fresh_env: ChatEnv) -> None:
    env = fresh_env
    operator_id, operator = env.operator(available=True)
    _, customer = env.customer()
    conversation = env.conversation(customer)
    cid = conversation["id"]
    env.post(customer, f"/api/v1/conversations/{cid}/handoff")
    assert (
        env.post(customer, f"/api/v1/conversations/{cid}/rating", {"rating": 5}).status_code == 409
    )

    resolved = env.post(operator, f"/api/v1/conversations/{cid}/resolve")
    assert resolved.json()["status"] == "resolved"
    assert (
        env.post(customer, f"/api/v1/conversations/{cid}/rating", {"rating": 6}).status_code == 422
    )
    rated = env.post(customer, f"/api/v1/conversations/{cid}/rating", {"rating": 4})
    assert rated.status_code == 200
    assert rated.json()["rating"] == 4

    # a new customer message reopens it, back with the same operator
    reopened = env.send(customer, cid, "Ой, ещё вопрос")
    assert reopened.status_code == 201
    assert reopened.json()["conversation"]["status"] == "assigned"
    assert env.get(operator, cid)["assigned_operator_id"] == operator_id

    closed = env.post(operator, f"/api/v1/conversations/{cid}/close")
    assert closed.json()["status"] == "closed"
    late = env.send(customer, cid, "А теперь?")
    assert_error(late, 409, "conversation_closed")
    assert env.messages(customer, cid)[-1]["sender_kind"] == "system"


def test_travel_priority_line_only_for_the_customers_it_is_for(env: ChatEnv) -> None:
    _, eligible = env.customer(travel={"package": "«Все включено»"})
    _, ordinary = env.customer(travel={"package": "Базовый"})
    visitor = env.visitor()
    assert env.conversation(eligible, "travel_priority")["line"] == "travel_priority"
    assert env.conversation(ordinary, "travel_priority")["line"] == "general"
    assert env.conversation(visitor, "travel_priority")["line"] == "general"
    _, corporate = env.customer(travel={"is_corporate": True})
    assert env.conversation(corporate, "travel_priority")["line"] == "travel_priority"


def test_seller_support_needs_topic_and_subtopic_and_gets_a_ticket_number(env: ChatEnv) -> None:
    token = env.visitor()
    topics = env.client.get("/api/v1/chat/seller-topics").json()["topics"]
    finance = next(t for t in topics if t["title"] == "Финансы")
    assert "Финансовые отчёты" in finance["subtopics"]
    missing = env.client.post("/api/v1/conversations", json={"line": "seller"}, headers=auth(token))
    assert_error(missing, 422, "seller_topic_required")
    wrong = env.client.post(
        "/api/v1/conversations",
        json={
            "line": "seller",
            "seller_topic": "Финансы",
            "seller_subtopic": "Обжалование жалобы покупателя",
        },
        headers=auth(token),
    )
    assert wrong.status_code == 422
    conversation = env.conversation(
        token, "seller", seller_topic="Финансы", seller_subtopic="Финансовые отчёты"
    )
    assert conversation["line"] == "seller"
    assert conversation["ticket_number"].startswith("S-")
    [note] = env.messages(token, conversation["id"])
    assert conversation["ticket_number"] in note["text"]
    assert "Финансовые отчёты" in note["text"]


def test_unknown_line_and_operator_creating_conversation(
    env: ChatEnv,
) -> None:
    token = env.visitor()
    response = env.client.post("/api/v1/conversations", json={"line": "vip"}, headers=auth(token))
    assert response.status_code == 422
    _, operator = env.operator()
    response = env.client.post(
        "/api/v1/conversations", json={"line": "general"}, headers=auth(operator)
    )
    assert response.status_code == 403


def test_client_msg_id_of_someone_else_is_a_conflict(fresh_env: ChatEnv) -> None:
    env = fresh_env
    _, operator = env.operator(available=True)
    token = env.visitor()
    conversation = env.conversation(token)
    env.post(token, f"/api/v1/conversations/{conversation['id']}/handoff")
    mine = uuid.uuid4().hex
    assert env.send(token, conversation["id"], "вопрос", client_msg_id=mine).status_code == 201
    stolen = env.send(operator, conversation["id"], "ответ", client_msg_id=mine)
    assert_error(stolen, 409, "client_msg_id_taken")


def test_the_privacy_guard_stands_on_every_operator_send_path(fresh_env: ChatEnv) -> None:
    """REST and WebSocket sends of an operator pass the same guard as the console."""
    env = fresh_env
    _, operator = env.operator(available=True)
    token = env.visitor()
    conversation = env.conversation(token)
    env.post(token, f"/api/v1/conversations/{conversation['id']}/handoff")
    leak = "У вас 3 пересечения с другими аккаунтами, поэтому купоны заблокированы."
    refused = env.send(operator, conversation["id"], leak)
    assert_error(refused, 422, "privacy_violation")
    card = "Оплатите картой 4111 1111 1111 1111"
    assert env.send(operator, conversation["id"], card).status_code == 422
    texts = [m["text"] for m in env.messages(operator, conversation["id"])]
    assert leak not in texts and card not in texts
    # a private note is for staff only and may name the count
    assert env.send(operator, conversation["id"], leak, private=True).status_code == 201
    assert env.send(operator, conversation["id"], "Проверяю ваш аккаунт.").status_code == 201


def test_a_task_from_a_conversation_shows_its_number_there_and_sits_in_its_queue(
    fresh_env: ChatEnv,
) -> None:
    env = fresh_env
    _, operator = env.operator(available=True)
    token = env.visitor()
    conversation = env.conversation(token)
    env.post(token, f"/api/v1/conversations/{conversation['id']}/handoff")
    created = env.post(
        operator,
        "/api/v1/tasks",
        {
            "queue": "Ошибка описания",
            "title": "Неверный вес товара",
            "product_id": 235260644,
            "conversation_id": conversation["id"],
        },
    )
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    seen_by_customer = [m["text"] for m in env.messages(token, conversation["id"])]
    assert any(number in text for text in seen_by_customer)
    queue = env.client.get(
        "/api/v1/tasks", params={"queue": "Ошибка описания"}, headers=auth(operator)
    ).json()
    assert number in [t["number"] for t in queue["tasks"]]


def test_the_bot_in_the_chat_does_not_send_the_customer_to_the_chat(env: ChatEnv) -> None:
    token = env.visitor()
    conversation = env.conversation(token)
    response = env.send(token, conversation["id"], "почему на моем аккаунте бан купонов")
    [reply] = response.json()["replies"]
    assert reply["bot"]["topic"] == "coupon_ban"
    assert "чат поддержки" not in reply["text"]
    assert "«Позовите оператора»" in reply["text"]
