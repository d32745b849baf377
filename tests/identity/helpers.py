"""What the identity tests share: a customer with a phone and a codeword in a conversation
with an operator of its line."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from tests.chat.conftest import ChatEnv, auth


def new_phone() -> str:
    return "+7997" + "".join(random.choices("0123456789", k=7))


@dataclass
class Case:
    customer_id: int
    customer: str
    phone: str
    conversation_id: int
    operator: str


def case(env: ChatEnv, *, codeword: str | None = "Синий кит") -> Case:
    phone = new_phone()
    customer_id, customer = env.customer(phone=phone)
    if codeword is not None:
        response = env.client.put(
            "/api/v1/me/codeword", json={"codeword": codeword}, headers=auth(customer)
        )
        assert response.status_code == 200, response.text
    conversation = env.conversation(customer)
    _, operator = env.operator(lines=("general",))
    return Case(customer_id, customer, phone, int(conversation["id"]), operator)


def check(env: ChatEnv, c: Case, answer: str, token: str | None = None) -> Any:
    return env.client.post(
        f"/api/v1/conversations/{c.conversation_id}/identity/check",
        json={"answer": answer},
        headers=auth(token or c.operator),
    )
