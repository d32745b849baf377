"""Hints in the case's context (issue 20, item 2): the coupon-ban decision picks its own
template, the conversation's topic and earlier turns outweigh a last message that says
nothing, and the line counts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketdesk.services.auth import token_for_customer
from tests.conftest import auth, run_db
from tests.console.conftest import waiting_conversation
from tests.errors import assert_error

COUPONS = "почему не работают купоны у меня"


def _ok(response, status=(200, 201)):
    assert response.status_code in status, response.text
    return response.json()


@pytest.fixture
def conversation(client, tokens, demo_db):
    """A conversation of a given customer on a line, with their messages, handed to the queue;
    closed at the end."""
    made: list[int] = []

    def make(customer_id: int, *texts: str, line: str = "general") -> int:
        token = run_db(
            demo_db, lambda s: token_for_customer(s, customer_id, ttl=timedelta(hours=1))
        )
        body = {"line": line}
        if line == "seller":
            body.update(seller_topic="Финансы", seller_subtopic="Финансовые отчёты")
        made.append(waiting_conversation(client, token, *texts, body=body))
        return made[-1]

    yield make
    for cid in made:
        client.post(f"/api/v1/conversations/{cid}/close", headers=auth(tokens["supervisor"]))


def hints(client, token, text, **context):
    return client.post("/api/v1/hints", json={"text": text, **context}, headers=auth(token))


@pytest.mark.parametrize(
    ("customer_id", "template"),
    [
        (61000001, "Бан купонов — ограничение можно снять"),  # 1 intersection
        (61000002, "Бан купонов — ограничение снять нельзя"),  # 5
        (61000003, "Бан купонов — ограничение может быть снято"),  # 12
    ],
)
def test_the_coupon_ban_decision_picks_its_template(
    client, tokens, conversation, customer_id, template
):
    cid = conversation(customer_id, COUPONS)
    data = _ok(hints(client, tokens["supervisor"], COUPONS, conversation_id=cid))
    titles = [h["title"] for h in data["hints"]]
    assert titles[0] == template
    # the other decisions' templates are not offered for this card
    assert [t for t in titles if t.startswith("Бан купонов")] == [template]
    # the same from the card alone (no conversation open)
    alone = _ok(hints(client, tokens["operator"], COUPONS, customer_id=customer_id))
    assert alone["hints"][0]["title"] == template


def test_without_the_card_the_message_alone_cannot_tell(client, tokens):
    """The reason for the context: three coupon-ban templates score alike on the words."""
    titles = [h["title"] for h in _ok(hints(client, tokens["operator"], COUPONS))["hints"]]
    assert sum(t.startswith("Бан купонов") for t in titles) == 3


def test_earlier_turns_outweigh_a_call_for_an_operator(client, tokens, conversation):
    cid = conversation(58561573, "Как вывести деньги с баланса?", "Позовите оператора пожалуйста")
    data = _ok(
        hints(client, tokens["operator"], "Позовите оператора пожалуйста", conversation_id=cid)
    )
    assert data["hints"][0]["slug"] == "balance_withdrawal"
    plain = _ok(hints(client, tokens["operator"], "Позовите оператора пожалуйста"))
    assert "balance_withdrawal" not in [h["slug"] for h in plain["hints"]]


def test_a_new_question_leads_over_the_old_topic(client, tokens, conversation):
    cid = conversation(58561573, "Как вывести деньги с баланса?")
    text = "А как проверить подлинность ювелирного украшения?"
    data = _ok(hints(client, tokens["operator"], text, conversation_id=cid))
    assert data["hints"][0]["slug"] == "jewelry_authenticity"


def test_the_line_counts(client, tokens, conversation):
    text = "Я продавец, как мне продавать товары на Ozon?"
    general = conversation(58561573, text)
    seller = conversation(58561573, text, line="seller")
    on_general = _ok(hints(client, tokens["supervisor"], text, conversation_id=general, limit=5))
    on_seller = _ok(hints(client, tokens["supervisor"], text, conversation_id=seller, limit=5))
    wrote_to_customers = "Продавец обратился в поддержку покупателей"
    assert wrote_to_customers in [h["title"] for h in on_general["hints"]]
    assert wrote_to_customers not in [h["title"] for h in on_seller["hints"]]


def test_a_conversation_the_operator_may_not_read_is_not_found(client, tokens, conversation):
    cid = conversation(61000001, COUPONS, line="travel_priority")  # a hotel booking: Travel
    response = hints(client, tokens["operator"], COUPONS, conversation_id=cid)  # general line
    assert_error(response, 404, "conversation_not_found")
    missing = hints(client, tokens["operator"], COUPONS, conversation_id=2**62)
    assert (missing.status_code, missing.json()["error"]) == (
        404,
        {**response.json()["error"], "message": missing.json()["error"]["message"]},
    )


def test_customers_get_no_hints(client, tokens):
    response = hints(client, tokens["customer"], COUPONS, customer_id=61000001)
    assert response.status_code == 403
