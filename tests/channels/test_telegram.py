"""Telegram (issue 12) against a local Bot API server (``fake_apis.FakeTelegram``): the
webhook with its secret, the bot's answer and an operator's reply going back to the chat,
the server down for a while, repeats, ``/start`` and the shared contact, photos and
documents both ways."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from marketdesk.channels.telegram import LINKED, NOT_YOUR_CONTACT, SHARE_PHONE
from marketdesk.channels.text_split import split_text
from marketdesk.server import create_app
from marketdesk.store.models import Attachment, utcnow
from tests.channels.conftest import ChannelEnv
from tests.channels.fake_apis import FakeTelegram
from tests.channels.messengers import (
    JPEG,
    PDF,
    PNG,
    TG_SECRET,
    TG_TOKEN,
    contact_of,
    conversation_of,
    deliver,
    deliver_all,
    deliveries,
    messages,
    messenger_settings,
    new_address,
    new_database,
    running_app,
    tg_message,
)
from tests.chat.conftest import auth
from tests.conftest import backends
from tests.errors import assert_error


@pytest.fixture(scope="module")
def fake_telegram() -> Iterator[FakeTelegram]:
    server = FakeTelegram(TG_TOKEN)
    yield server
    server.close()


@pytest.fixture(scope="module", params=backends())
def tg(
    request: pytest.FixtureRequest, make_database: Any, fake_telegram: FakeTelegram
) -> Iterator[ChannelEnv]:
    db = new_database(make_database, request.param)
    fake_vk_url = "http://127.0.0.1:9"  # VK is not used here
    with running_app(db, **messenger_settings(fake_telegram.url, fake_vk_url)) as env:
        yield env


def post(
    env: ChannelEnv, update: dict[str, Any], secret: str = TG_SECRET, header: str | None = TG_SECRET
) -> Any:
    headers = {"X-Telegram-Bot-Api-Secret-Token": header} if header is not None else {}
    return env.client.post(f"/api/v1/channels/telegram/{secret}", json=update, headers=headers)


def write(env: ChannelEnv, fake: FakeTelegram, chat_id: int, text: str) -> None:
    response = post(env, fake.update(tg_message(chat_id, text)))
    assert response.status_code == 200, response.text


def sent_texts(fake: FakeTelegram, chat_id: int) -> list[str]:
    return [c.params["text"] for c in fake.called("sendMessage", chat_id=str(chat_id))]


def handed_to_operator(env: ChannelEnv, fake: FakeTelegram, chat_id: int) -> tuple[int, str]:
    """The customer asks for a person; an operator takes the conversation → (id, token)."""
    write(env, fake, chat_id, "Позовите оператора, пожалуйста")
    conversation = conversation_of(env, "telegram", str(chat_id))
    assert conversation is not None and conversation.status == "queued"
    _, operator = env.operator(lines=("general",))
    assert env.post(operator, f"/api/v1/conversations/{conversation.id}/take").status_code == 200
    return conversation.id, operator


def test_a_customer_writes_the_bot_answers_then_an_operator(
    tg: ChannelEnv, fake_telegram: FakeTelegram
) -> None:
    env, fake, chat_id = tg, fake_telegram, new_address()
    write(env, fake, chat_id, "Как активировать подарочный сертификат?")
    conversation = conversation_of(env, "telegram", str(chat_id))
    assert conversation is not None and conversation.channel == "telegram"
    stored = messages(env, conversation.id)
    assert [m.sender_kind for m in stored] == ["visitor", "bot"]
    assert contact_of(env, "telegram", str(chat_id)).display_name == "Иван Петров"

    deliver_all(env)
    assert sent_texts(fake, chat_id) == [stored[1].text]  # the bot's answer, in the chat

    cid, operator = handed_to_operator(env, fake, chat_id)
    assert cid == conversation.id
    reply = "Здравствуйте! Сертификат активирован, проверьте баланс."
    assert env.send(operator, cid, reply).status_code == 201
    assert env.send(operator, cid, "заметка коллегам", private=True).status_code == 201
    deliver_all(env)
    texts = sent_texts(fake, chat_id)
    assert texts[-1] == reply and texts.count(reply) == 1
    assert "заметка коллегам" not in texts
    rows = deliveries(env, cid)
    assert rows and all(r.status == "sent" for r in rows)
    sent_ids = {r.external_id for r in rows}
    assert None not in sent_ids and len(sent_ids) == len(rows)


def test_a_repeated_update_is_stored_and_answered_once(
    tg: ChannelEnv, fake_telegram: FakeTelegram
) -> None:
    env, fake, chat_id = tg, fake_telegram, new_address()
    update = fake.update(tg_message(chat_id, "Как вернуть товар?"))
    assert post(env, update).status_code == 200
    assert post(env, update).status_code == 200  # Telegram did not see the first 200
    conversation = conversation_of(env, "telegram", str(chat_id))
    assert conversation is not None
    assert [m.sender_kind for m in messages(env, conversation.id)] == ["visitor", "bot"]
    deliver_all(env)
    assert len(sent_texts(fake, chat_id)) == 1


def test_the_webhook_refuses_without_the_secret(
    tg: ChannelEnv, fake_telegram: FakeTelegram
) -> None:
    env, chat_id = tg, new_address()
    update = fake_telegram.update(tg_message(chat_id, "Здравствуйте"))
    assert_error(post(env, update, secret="wrong"), 403, "channel_secret_mismatch")
    assert_error(post(env, update, header="wrong"), 403, "channel_secret_mismatch")
    assert_error(post(env, update, header=None), 403, "channel_secret_mismatch")
    assert conversation_of(env, "telegram", str(chat_id)) is None
    # a group the bot was added to is not a customer's chat: acknowledged, not stored
    group = tg_message(-chat_id, "Всем привет")
    group["chat"] = {"id": -chat_id, "type": "group", "title": "Покупатели"}
    assert post(env, fake_telegram.update(group)).status_code == 200
    assert conversation_of(env, "telegram", str(-chat_id)) is None
    broken = env.client.post(
        f"/api/v1/channels/telegram/{TG_SECRET}",
        content=b"[1, 2",
        headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET, "Content-Type": "application/json"},
    )
    assert_error(broken, 422, "channel_update_invalid")
    assert "Traceback" not in broken.text

    # a server with no bot configured has no webhook
    plain = create_app(env.db.settings())
    response = TestClient(plain).post(
        f"/api/v1/channels/telegram/{TG_SECRET}",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET},
    )
    assert_error(response, 404, "channel_not_configured")


def test_replies_wait_while_telegram_is_down_and_go_once_it_is_back(
    tg: ChannelEnv, fake_telegram: FakeTelegram
) -> None:
    env, fake, chat_id = tg, fake_telegram, new_address()
    cid, operator = handed_to_operator(env, fake, chat_id)
    deliver_all(env)  # the bot's handoff and «оператор подключился» go while it is up
    before = len(sent_texts(fake, chat_id))

    fake.down()
    try:
        replies = ["Проверяю ваш заказ.", "Заказ передан в доставку."]
        for text in replies:
            assert env.send(operator, cid, text).status_code == 201
        start = utcnow()
        deliver(env, now=start)
        first, second = deliveries(env, cid)[-2:]
        assert first.status == "pending" and first.attempts == 1 and first.error
        assert second.attempts == 0  # waits for the earlier one of its conversation
        assert deliver(env, now=start) == 0  # backing off: nothing is due yet
        deliver(env, now=start + timedelta(minutes=1))
        deliver(env, now=start + timedelta(minutes=2))
        first = deliveries(env, cid)[-2]
        assert first.status == "pending" and first.attempts == 3
    finally:
        fake.up()
    deliver_all(env, now=start + timedelta(hours=1))
    texts = sent_texts(fake, chat_id)[before:]
    assert texts == replies  # nothing lost, nothing twice, in order
    assert all(r.status == "sent" for r in deliveries(env, cid))


def test_a_blocked_bot_is_refused_for_good(tg: ChannelEnv, fake_telegram: FakeTelegram) -> None:
    env, fake, chat_id = tg, fake_telegram, new_address()
    cid, operator = handed_to_operator(env, fake, chat_id)
    deliver_all(env)
    fake.blocked.add(chat_id)
    assert env.send(operator, cid, "Вы здесь?").status_code == 201
    deliver_all(env)
    last = deliveries(env, cid)[-1]
    assert last.status == "failed" and last.attempts == 1
    assert "blocked" in (last.error or "")
    listed = env.client.get(f"/api/v1/conversations/{cid}/deliveries", headers=auth(operator))
    assert listed.json()["deliveries"][-1]["status_title"] == "не доставлено"


def test_start_greets_and_a_shared_contact_links_the_customer(
    tg: ChannelEnv, fake_telegram: FakeTelegram
) -> None:
    env, fake, chat_id = tg, fake_telegram, new_address()
    phone = f"+7916{uuid.uuid4().int % 10_000_000:07d}"
    customer_id, _ = env.customer(phone=phone)

    assert post(env, fake.update(tg_message(chat_id, "/start"))).status_code == 200
    [greeting] = fake.called("sendMessage", chat_id=str(chat_id))
    assert greeting.params["text"].startswith("Здравствуйте!")
    keyboard = json.loads(greeting.params["reply_markup"])["keyboard"]
    assert keyboard[0][0] == {"text": SHARE_PHONE, "request_contact": True}
    assert conversation_of(env, "telegram", str(chat_id)) is None  # a greeting, no request

    write(env, fake, chat_id, "Где мой заказ?")
    conversation = conversation_of(env, "telegram", str(chat_id))
    assert conversation is not None and conversation.customer_id is None

    # someone else's contact links nothing
    other = {"phone_number": phone[1:], "first_name": "Пётр", "user_id": chat_id + 1}
    assert post(env, fake.update(tg_message(chat_id, contact=other))).status_code == 200
    assert sent_texts(fake, chat_id)[-1] == NOT_YOUR_CONTACT
    assert contact_of(env, "telegram", str(chat_id)).customer_id is None

    own = {"phone_number": phone[1:], "first_name": "Иван", "user_id": chat_id}
    assert post(env, fake.update(tg_message(chat_id, contact=own))).status_code == 200
    assert sent_texts(fake, chat_id)[-1] == LINKED
    contact = contact_of(env, "telegram", str(chat_id))
    assert contact.customer_id == customer_id and contact.linked_by == "telegram_contact"
    linked = conversation_of(env, "telegram", str(chat_id))
    assert linked is not None and linked.customer_id == customer_id

    # from now on the chat writes as the customer
    write(env, fake, chat_id, "Спасибо")
    assert messages(env, conversation.id)[-2].sender_kind == "customer"


def _stored_files(env: ChannelEnv, conversation_id: int) -> list[Attachment]:
    async def work(session: Any) -> list[Attachment]:
        rows = await session.scalars(
            select(Attachment).where(Attachment.conversation_id == conversation_id)
        )
        return list(rows)

    return list(env.run(work))


def test_photos_and_documents_both_ways(tg: ChannelEnv, fake_telegram: FakeTelegram) -> None:
    env, fake, chat_id = tg, fake_telegram, new_address()
    # in: the largest size of a photo, and a document with its name
    fake.add_file(f"small-{chat_id}", f"photos/s{chat_id}.jpg", b"not this one")
    fake.add_file(f"big-{chat_id}", f"photos/b{chat_id}.jpg", JPEG)
    fake.add_file(f"doc-{chat_id}", f"documents/d{chat_id}.pdf", PDF)
    photo = [
        {"file_id": f"small-{chat_id}", "file_unique_id": "s", "width": 90, "height": 60},
        {"file_id": f"big-{chat_id}", "file_unique_id": "b", "width": 1280, "height": 853},
    ]
    update = fake.update(tg_message(chat_id, photo=photo, caption="Вот фото повреждения"))
    assert post(env, update).status_code == 200
    document = {"file_id": f"doc-{chat_id}", "file_unique_id": "d", "file_name": "чек.pdf"}
    assert post(env, fake.update(tg_message(chat_id, document=document))).status_code == 200
    conversation = conversation_of(env, "telegram", str(chat_id))
    assert conversation is not None
    files = _stored_files(env, conversation.id)
    assert sorted((f.content_type, f.size) for f in files) == sorted(
        [("image/jpeg", len(JPEG)), ("application/pdf", len(PDF))]
    )
    assert any(f.filename == "чек.pdf" for f in files)
    assert "Вот фото повреждения" in [m.text for m in messages(env, conversation.id)]
    assert fake.called("download", path=f"photos/b{chat_id}.jpg")
    assert not fake.called("download", path=f"photos/s{chat_id}.jpg")

    # a file the chat does not take: the customer is told, the update is done
    fake.add_file(f"zip-{chat_id}", f"documents/z{chat_id}.zip", b"PK\x03\x04rest")
    zipped = {"file_id": f"zip-{chat_id}", "file_unique_id": "z", "file_name": "архив.zip"}
    assert post(env, fake.update(tg_message(chat_id, document=zipped))).status_code == 200
    assert "PDF" in sent_texts(fake, chat_id)[-1]

    # a file over the Bot API's limit: the customer is told, the caption still arrives
    fake.too_big.add(f"huge-{chat_id}")
    huge = {"file_id": f"huge-{chat_id}", "file_unique_id": "h", "file_name": "видео.pdf"}
    update = fake.update(tg_message(chat_id, document=huge, caption="И ещё видео"))
    assert post(env, update).status_code == 200
    assert "слишком большой" in sent_texts(fake, chat_id)[-1]
    assert "И ещё видео" in [m.text for m in messages(env, conversation.id)]

    # out: an operator's image goes as a photo with its caption, a PDF as a document
    cid, operator = handed_to_operator(env, fake, chat_id)
    for name, data, text in (("скрин.png", PNG, "Вот где нажать"), ("акт.pdf", PDF, "")):
        response = env.client.post(
            f"/api/v1/conversations/{cid}/attachments",
            files={"file": (name, data, "application/octet-stream")},
            data={"client_msg_id": uuid.uuid4().hex, "text": text},
            headers=auth(operator),
        )
        assert response.status_code == 201, response.text
    deliver_all(env)
    [sent_photo] = fake.called("sendPhoto", chat_id=str(chat_id))
    assert sent_photo.params["caption"] == "Вот где нажать"
    assert [data for _, data in sent_photo.files.values()] == [PNG]
    [sent_document] = fake.called("sendDocument", chat_id=str(chat_id))
    assert [(n, d) for n, d in sent_document.files.values()] == [("акт.pdf", PDF)]
    assert all(r.status == "sent" for r in deliveries(env, cid))


def test_a_long_text_is_cut_into_pieces_the_messengers_take() -> None:
    text = "Проверьте, пожалуйста, заказ. " * 300  # 9000 characters
    pieces = split_text(text, 4096)
    assert len(pieces) == 3 and all(len(p) <= 4096 for p in pieces)
    assert " ".join(pieces).split() == text.split()  # cut between words, nothing lost
    assert split_text("x" * 5000, 4096) == ["x" * 4096, "x" * 904]
    assert split_text("   ") == []
