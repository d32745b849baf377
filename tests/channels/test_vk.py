"""VK (issue 12) against a local VK API (``fake_apis.FakeVk``): the Callback API's
confirmation and secret, a community's message answered by the bot and then by an operator
through ``messages.send`` with a stable ``random_id``, the API down for a while, repeats,
refusals for good, photos and documents both ways, and ``check_vk``."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from marketdesk.channels.vk import VK_VERSION, check_vk, random_id
from marketdesk.server import create_app
from marketdesk.settings import Settings
from marketdesk.store.models import Attachment, ChannelDelivery, utcnow
from tests.channels.conftest import ChannelEnv
from tests.channels.fake_apis import FakeVk
from tests.channels.messengers import (
    JPEG,
    PDF,
    PNG,
    VK_CONFIRMATION,
    VK_GROUP,
    VK_SECRET,
    VK_TOKEN,
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
)
from tests.chat.conftest import auth
from tests.conftest import backends
from tests.errors import assert_error

_ids = itertools.count(1)


@pytest.fixture(scope="module")
def fake_vk() -> Iterator[FakeVk]:
    server = FakeVk(VK_TOKEN, VK_GROUP)
    yield server
    server.close()


@pytest.fixture(scope="module", params=backends())
def vk(request: pytest.FixtureRequest, make_database: Any, fake_vk: FakeVk) -> Iterator[ChannelEnv]:
    db = new_database(make_database, request.param)
    with running_app(db, **messenger_settings("http://127.0.0.1:9", fake_vk.url)) as env:
        yield env


def event(
    peer_id: int, text: str = "", *, secret: str | None = VK_SECRET, **extra: Any
) -> dict[str, Any]:
    """A ``message_new`` of the Callback API (v5.199: the message under ``object.message``)."""
    message_id = next(_ids) + 10_000
    body: dict[str, Any] = {
        "type": "message_new",
        "event_id": uuid.uuid4().hex,
        "v": VK_VERSION,
        "group_id": VK_GROUP,
        "object": {
            "message": {
                "date": int(time.time()),
                "from_id": peer_id,
                "id": message_id,
                "out": 0,
                "peer_id": peer_id,
                "text": text,
                "conversation_message_id": message_id,
                "attachments": [],
                "important": False,
                "is_hidden": False,
                **extra,
            },
            "client_info": {"button_actions": ["text"], "keyboard": True, "lang_id": 0},
        },
    }
    if secret is not None:
        body["secret"] = secret
    return body


def post(env: ChannelEnv, body: Any) -> Any:
    return env.client.post("/api/v1/channels/vk", json=body)


def write(env: ChannelEnv, peer_id: int, text: str, **extra: Any) -> None:
    response = post(env, event(peer_id, text, **extra))
    assert response.status_code == 200 and response.text == "ok", response.text


def sent(fake: FakeVk, peer_id: int) -> list[str]:
    return [c.params.get("message", "") for c in fake.deliveries(peer_id)]


def handed_to_operator(env: ChannelEnv, peer_id: int) -> tuple[int, str]:
    write(env, peer_id, "Позовите оператора, пожалуйста")
    conversation = conversation_of(env, "vk", str(peer_id))
    assert conversation is not None and conversation.status == "queued"
    _, operator = env.operator(lines=("general",))
    assert env.post(operator, f"/api/v1/conversations/{conversation.id}/take").status_code == 200
    return conversation.id, operator


def test_the_confirmation_and_the_secret(vk: ChannelEnv) -> None:
    confirmed = post(vk, {"type": "confirmation", "group_id": VK_GROUP, "secret": VK_SECRET})
    assert confirmed.status_code == 200 and confirmed.text == VK_CONFIRMATION
    assert confirmed.headers["content-type"].startswith("text/plain")
    peer_id = new_address()
    assert_error(post(vk, event(peer_id, "Привет", secret="wrong")), 403, "channel_secret_mismatch")
    assert_error(post(vk, event(peer_id, "Привет", secret=None)), 403, "channel_secret_mismatch")
    assert_error(post(vk, {"type": "confirmation"}), 403, "channel_secret_mismatch")
    assert conversation_of(vk, "vk", str(peer_id)) is None
    assert_error(post(vk, [1, 2]), 422, "channel_update_invalid")
    no_peer = {"type": "message_new", "secret": VK_SECRET, "object": {"message": {"text": "x"}}}
    assert_error(post(vk, no_peer), 422, "channel_update_invalid")
    # a group chat's message is acknowledged, not stored
    chat_peer = 2_000_000_000 + peer_id % 1000
    assert post(vk, event(chat_peer, "Всем привет")).text == "ok"
    assert conversation_of(vk, "vk", str(chat_peer)) is None
    # other events are acknowledged and ignored
    typing = {"type": "message_typing_state", "secret": VK_SECRET, "object": {"state": "typing"}}
    assert post(vk, typing).text == "ok"

    plain = TestClient(create_app(vk.db.settings()))
    assert_error(plain.post("/api/v1/channels/vk", json=typing), 404, "channel_not_configured")


def test_a_customer_writes_the_bot_answers_then_an_operator(
    vk: ChannelEnv, fake_vk: FakeVk
) -> None:
    env, fake, peer_id = vk, fake_vk, new_address()
    fake.users[peer_id] = ("Анна", "Смирнова")
    write(env, peer_id, "Как активировать подарочный сертификат?")
    conversation = conversation_of(env, "vk", str(peer_id))
    assert conversation is not None and conversation.channel == "vk"
    stored = messages(env, conversation.id)
    assert [m.sender_kind for m in stored] == ["visitor", "bot"]
    assert contact_of(env, "vk", str(peer_id)).display_name == "Анна Смирнова"

    deliver_all(env)
    [answer] = fake.deliveries(peer_id)
    assert answer.params["message"] == stored[1].text
    assert answer.params["v"] == VK_VERSION
    row = deliveries(env, conversation.id)[0]
    assert answer.params["random_id"] == str(random_id(f"marketdesk-delivery-{row.id}"))

    cid, operator = handed_to_operator(env, peer_id)
    reply = "Здравствуйте! Сертификат активирован, проверьте баланс."
    assert env.send(operator, cid, reply).status_code == 201
    deliver_all(env)
    texts = sent(fake, peer_id)
    assert texts[-1] == reply and texts.count(reply) == 1
    rows = deliveries(env, cid)
    assert all(r.status == "sent" and r.external_id for r in rows)


def test_a_repeated_event_is_stored_once(vk: ChannelEnv, fake_vk: FakeVk) -> None:
    env, peer_id = vk, new_address()
    body = event(peer_id, "Как вернуть товар?")
    assert post(env, body).text == "ok"
    assert post(env, body).text == "ok"  # VK repeats what got no «ok» in time
    conversation = conversation_of(env, "vk", str(peer_id))
    assert conversation is not None
    assert [m.sender_kind for m in messages(env, conversation.id)] == ["visitor", "bot"]
    deliver_all(env)
    assert len(fake_vk.deliveries(peer_id)) == 1


def test_a_send_tried_again_keeps_its_random_id(vk: ChannelEnv, fake_vk: FakeVk) -> None:
    """A kill after VK took the message but before it was recorded: the delivery is tried
    again with the same random_id, and VK sends it once."""
    env, fake, peer_id = vk, fake_vk, new_address()
    cid, operator = handed_to_operator(env, peer_id)
    deliver_all(env)
    assert env.send(operator, cid, "Заказ уже в пути.").status_code == 201
    deliver_all(env)
    last = deliveries(env, cid)[-1]

    async def unrecord(session: Any) -> None:
        await session.execute(
            update(ChannelDelivery)
            .where(ChannelDelivery.id == last.id)
            .values(status="pending", next_attempt_at=None, sent_at=None)
        )
        await session.commit()

    env.run(unrecord)
    deliver_all(env)
    calls = fake.called("messages.send", peer_id=str(peer_id), message="Заказ уже в пути.")
    assert len(calls) == 2 and calls[0].params["random_id"] == calls[1].params["random_id"]
    assert sent(fake, peer_id).count("Заказ уже в пути.") == 1
    assert deliveries(env, cid)[-1].external_id == last.external_id


def test_replies_wait_while_vk_is_down_and_go_once_it_is_back(
    vk: ChannelEnv, fake_vk: FakeVk
) -> None:
    env, fake, peer_id = vk, fake_vk, new_address()
    cid, operator = handed_to_operator(env, peer_id)
    deliver_all(env)
    before = len(sent(fake, peer_id))
    fake.down()
    try:
        replies = ["Проверяю ваш заказ.", "Заказ передан в доставку."]
        for text in replies:
            assert env.send(operator, cid, text).status_code == 201
        start = utcnow()
        deliver(env, now=start)
        first = deliveries(env, cid)[-2]
        assert first.status == "pending" and first.attempts == 1 and first.error
        assert deliver(env, now=start) == 0
        deliver(env, now=start + timedelta(minutes=1))
        assert deliveries(env, cid)[-2].attempts == 2
    finally:
        fake.up()
    deliver_all(env, now=start + timedelta(hours=1))
    assert sent(fake, peer_id)[before:] == replies
    assert all(r.status == "sent" for r in deliveries(env, cid))


def test_a_user_who_forbade_messages_is_refused_for_good(vk: ChannelEnv, fake_vk: FakeVk) -> None:
    env, peer_id = vk, new_address()
    cid, operator = handed_to_operator(env, peer_id)
    deliver_all(env)
    fake_vk.blocked.add(peer_id)
    assert env.send(operator, cid, "Вы здесь?").status_code == 201
    deliver_all(env)
    last = deliveries(env, cid)[-1]
    assert last.status == "failed" and last.attempts == 1 and "901" in (last.error or "")


def _stored_files(env: ChannelEnv, conversation_id: int) -> list[Attachment]:
    async def work(session: Any) -> list[Attachment]:
        rows = await session.scalars(
            select(Attachment).where(Attachment.conversation_id == conversation_id)
        )
        return list(rows)

    return list(env.run(work))


def test_photos_and_documents_both_ways(vk: ChannelEnv, fake_vk: FakeVk) -> None:
    env, fake, peer_id = vk, fake_vk, new_address()
    fake.static[f"s{peer_id}.jpg"] = b"not this one"
    fake.static[f"b{peer_id}.jpg"] = JPEG
    fake.static[f"d{peer_id}"] = PDF
    photo = {
        "type": "photo",
        "photo": {
            "id": 457239017,
            "owner_id": peer_id,
            "sizes": [
                {"type": "s", "width": 75, "height": 50, "url": f"{fake.url}/files/s{peer_id}.jpg"},
                {
                    "type": "w",
                    "width": 1280,
                    "height": 853,
                    "url": f"{fake.url}/files/b{peer_id}.jpg",
                },
            ],
        },
    }
    doc = {
        "type": "doc",
        "doc": {
            "id": 1,
            "owner_id": peer_id,
            "title": "чек",
            "ext": "pdf",
            "size": len(PDF),
            "url": f"{fake.url}/files/d{peer_id}",
        },
    }
    write(env, peer_id, "Вот фото и чек", attachments=[photo, doc])
    conversation = conversation_of(env, "vk", str(peer_id))
    assert conversation is not None
    files = _stored_files(env, conversation.id)
    assert sorted((f.filename, f.content_type, f.size) for f in files) == sorted(
        [("photo-457239017.jpg", "image/jpeg", len(JPEG)), ("чек.pdf", "application/pdf", len(PDF))]
    )
    assert not fake.called("download", name=f"s{peer_id}.jpg")

    # a sticker alone: the customer is told what is understood
    sticker = {"type": "sticker", "sticker": {"sticker_id": 1}}
    write(env, peer_id, "", attachments=[sticker])
    assert "только текст" in sent(fake, peer_id)[-1]

    cid, operator = handed_to_operator(env, peer_id)
    for name, data, text in (("скрин.png", PNG, "Вот где нажать"), ("акт.pdf", PDF, "")):
        response = env.client.post(
            f"/api/v1/conversations/{cid}/attachments",
            files={"file": (name, data, "application/octet-stream")},
            data={"client_msg_id": uuid.uuid4().hex, "text": text},
            headers=auth(operator),
        )
        assert response.status_code == 201, response.text
    deliver_all(env)
    with_files = [c for c in fake.deliveries(peer_id) if c.params.get("attachment")]
    assert len(with_files) == 2
    photo_sent, doc_sent = with_files
    assert photo_sent.params["message"] == "Вот где нажать"
    assert photo_sent.params["attachment"].startswith(f"photo-{VK_GROUP}_")
    key = photo_sent.params["attachment"].rsplit("_", 1)[0]
    assert fake.saved[key][1] == PNG
    assert doc_sent.params["attachment"].startswith(f"doc-{VK_GROUP}_")
    assert fake.saved[doc_sent.params["attachment"]] == ("акт.pdf", PDF)
    assert all(r.status == "sent" for r in deliveries(env, cid))


def test_check_vk_says_what_is_wrong(fake_vk: FakeVk, tmp_path: Any) -> None:
    def check(**values: Any) -> list[str]:
        settings = Settings(data_dir=tmp_path, vk_api=fake_vk.url, **values)
        return asyncio.run(check_vk(settings))

    assert check() == ["не задан MARKETDESK_VK_TOKEN: ВКонтакте не подключён"]
    full = {"vk_secret": VK_SECRET, "vk_confirmation": VK_CONFIRMATION}
    assert check(vk_token=VK_TOKEN, **full) == []
    [bad] = check(vk_token="wrong", **full)
    assert bad.startswith("токен ВКонтакте не подходит (groups.getById: 5")
    missing = check(vk_token=VK_TOKEN)
    assert any("MARKETDESK_VK_CONFIRMATION" in p for p in missing)
    assert any("MARKETDESK_VK_SECRET" in p for p in missing)
    fake_vk.messages_allowed = False
    try:
        [no_messages] = check(vk_token=VK_TOKEN, **full)
        assert no_messages.startswith("у ключа ВКонтакте нет доступа к сообщениям сообщества")
    finally:
        fake_vk.messages_allowed = True
    fake_vk.down()
    try:
        [down] = check(vk_token=VK_TOKEN, **full)
        assert "недоступен" in down
    finally:
        fake_vk.up()
