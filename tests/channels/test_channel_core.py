"""The outside channels' core (issue 12): what arrives becomes one message through the chat's
door, once; the bot answers in the same conversation; what the bot, an operator or the
system writes is stored with its outbox row and delivered after, in order, with retries,
«не доставлено» and a retry. The adapter here is the contract's other side, recording what
it is given; the real adapters (e-mail, Telegram, VK) are tested against their servers."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta
from typing import Any

from click.testing import CliRunner
from sqlalchemy import select

from marketdesk.cli import main
from marketdesk.domain.channels import Channel
from marketdesk.services import channels
from marketdesk.services.channels import ChannelMessage, DeliveryPolicy, InboundMessage
from marketdesk.services.channels.configuration import configs, masked_url
from marketdesk.store.models import ChannelContact, ChannelDelivery, Conversation
from tests.channels.conftest import ChannelEnv
from tests.chat.conftest import auth
from tests.errors import assert_error

_external = itertools.count(1)


class RecordingSender:
    """A channel's outbound side that records what it is given and fails when told to."""

    channel = "telegram"

    def __init__(self) -> None:
        self.sent: list[ChannelMessage] = []
        self.failing: Exception | None = None

    async def deliver(self, message: ChannelMessage) -> str | None:
        if self.failing is not None:
            raise self.failing
        self.sent.append(message)
        return f"tg-{len(self.sent)}"


POLICY = DeliveryPolicy(max_attempts=2, backoff_base=0.01, backoff_cap=0.01)


def _inbound(address: str, text: str, external_id: str | None = None) -> InboundMessage:
    return InboundMessage(
        channel=Channel.TELEGRAM,
        address=address,
        external_id=external_id or f"update-{next(_external)}",
        text=text,
        display_name="Иван",
    )


def _receive(env: ChannelEnv, inbound: InboundMessage) -> channels.Received:
    return env.in_app(lambda: channels.receive(env.ctx(), inbound, data_dir=env.db.tmp))


def _deliver(env: ChannelEnv, sender: RecordingSender, **kw: Any) -> int:
    async def work(session: Any) -> int:
        return await channels.deliver_due(session, {"telegram": sender}, policy=POLICY, **kw)

    return int(env.run(work))


def _deliveries(env: ChannelEnv, conversation_id: int) -> list[ChannelDelivery]:
    async def work(session: Any) -> list[ChannelDelivery]:
        rows = await session.scalars(
            select(ChannelDelivery)
            .where(ChannelDelivery.conversation_id == conversation_id)
            .order_by(ChannelDelivery.id)
        )
        return list(rows)

    return list(env.run(work))


def test_a_message_in_comes_once_and_the_bots_answer_goes_out(channel_env: ChannelEnv) -> None:
    env = channel_env
    address = uuid.uuid4().hex[:12]
    first = _receive(
        env, _inbound(address, "Как активировать подарочный сертификат?", "u-1" + address)
    )
    assert first.message is not None and not first.duplicate
    assert first.message.sender_kind == "visitor"
    assert first.message.channel == "telegram"
    assert [r.sender_kind for r in first.replies] == ["bot"]

    conversation = env.run(lambda s: s.get(Conversation, first.conversation_id))
    assert conversation.channel == "telegram"
    contact = env.run(lambda s: s.get(ChannelContact, conversation.channel_contact_id))
    assert contact.address == address and contact.display_name == "Иван"

    # the channel repeats the update: acknowledged, nothing stored twice
    again = _receive(
        env, _inbound(address, "Как активировать подарочный сертификат?", "u-1" + address)
    )
    assert again.duplicate and again.conversation_id == first.conversation_id
    # the customer's own message is not sent back to them: one row, the bot's answer
    [row] = _deliveries(env, first.conversation_id)
    assert row.status == "pending" and row.message_id == first.replies[0].id

    sender = RecordingSender()
    assert _deliver(env, sender) >= 1
    [sent] = [m for m in sender.sent if m.conversation_id == first.conversation_id]
    assert sent.address == address
    assert sent.text == first.replies[0].text
    assert sent.sender_kind == "bot"
    [row] = _deliveries(env, first.conversation_id)
    assert row.status == "sent" and row.external_id == "tg-1" and row.sent_at is not None

    # the next message from the same chat goes on in the same conversation
    second = _receive(env, _inbound(address, "Спасибо"))
    assert second.conversation_id == first.conversation_id


def test_operator_replies_go_out_in_order_notes_do_not(channel_env: ChannelEnv) -> None:
    env = channel_env
    address = uuid.uuid4().hex[:12]
    got = _receive(env, _inbound(address, "Позовите оператора, пожалуйста"))
    cid = got.conversation_id
    assert env.run(lambda s: s.get(Conversation, cid)).status == "queued"
    _, operator = env.operator(lines=("general",))
    assert env.post(operator, f"/api/v1/conversations/{cid}/take").status_code == 200
    for text in ("Здравствуйте! Смотрю ваш вопрос.", "Сертификат активирован."):
        assert env.send(operator, cid, text).status_code == 201
    assert env.send(operator, cid, "заметка для коллег", private=True).status_code == 201

    sender = RecordingSender()
    while _deliver(env, sender):
        pass
    texts = [m.text for m in sender.sent if m.conversation_id == cid]
    # the bot's handoff note, the operator joining, then the two replies — in order; no note
    assert texts[-2:] == ["Здравствуйте! Смотрю ваш вопрос.", "Сертификат активирован."]
    assert "заметка для коллег" not in texts
    assert all(r.status == "sent" for r in _deliveries(env, cid))
    threads = [m.thread for m in sender.sent if m.conversation_id == cid]
    assert threads[-1][-1] == f"tg-{len(sender.sent) - 1}"  # the previous one sent

    # the console reads where each stands
    listed = env.client.get(f"/api/v1/conversations/{cid}/deliveries", headers=auth(operator))
    assert listed.status_code == 200
    assert {d["status_title"] for d in listed.json()["deliveries"]} == {"доставлено"}


def test_a_channel_that_is_down_delays_then_fails_then_retries(channel_env: ChannelEnv) -> None:
    env = channel_env
    address = uuid.uuid4().hex[:12]
    got = _receive(env, _inbound(address, "Позовите оператора, пожалуйста"))
    cid = got.conversation_id
    _, operator = env.operator(lines=("general",))
    env.post(operator, f"/api/v1/conversations/{cid}/take")
    assert env.send(operator, cid, "Ответ, который не дойдёт сразу").status_code == 201

    sender = RecordingSender()
    sender.failing = ConnectionError("сервер недоступен")
    later = lambda: _deliver(env, sender, now=channels_now() + timedelta(seconds=5))  # noqa: E731
    later()
    rows = _deliveries(env, cid)
    assert rows[0].status == "pending" and rows[0].attempts == 1 and rows[0].error
    # the later messages of the conversation wait for the first: nothing was sent
    assert all(r.attempts == 0 for r in rows[1:])
    later()
    rows = _deliveries(env, cid)
    assert rows[0].status == "failed" and rows[0].failed_at is not None
    listed = env.client.get(f"/api/v1/conversations/{cid}/deliveries", headers=auth(operator))
    assert listed.json()["deliveries"][0]["status_title"] == "не доставлено"

    # a stranger may not retry it; the operator may, once
    _, stranger = env.operator(lines=("seller",))
    refused = env.post(stranger, f"/api/v1/channel-deliveries/{rows[0].id}/retry")
    assert_error(refused, 404, "delivery_not_found")
    customer = env.post(env.visitor(), f"/api/v1/channel-deliveries/{rows[0].id}/retry")
    assert_error(customer, 403, "forbidden")
    retried = env.post(operator, f"/api/v1/channel-deliveries/{rows[0].id}/retry")
    assert retried.status_code == 200 and retried.json()["status"] == "pending"
    assert_error(
        env.post(operator, f"/api/v1/channel-deliveries/{rows[0].id}/retry"),
        409,
        "delivery_not_failed",
    )

    sender.failing = None
    while later():
        pass
    assert all(r.status == "sent" for r in _deliveries(env, cid))
    texts = [m.text for m in sender.sent if m.conversation_id == cid]
    assert texts.count("Ответ, который не дойдёт сразу") == 1


def test_web_chat_messages_get_no_outbox_rows(channel_env: ChannelEnv) -> None:
    env = channel_env
    token = env.visitor()
    conversation = env.conversation(token)
    response = env.send(token, conversation["id"], "Как активировать подарочный сертификат?")
    assert response.status_code == 201 and response.json()["replies"]
    assert _deliveries(env, conversation["id"]) == []
    _, operator = env.operator(lines=("general",))
    listed = env.client.get(
        f"/api/v1/conversations/{conversation['id']}/deliveries", headers=auth(operator)
    )
    assert listed.status_code == 200 and listed.json()["deliveries"] == []


def channels_now() -> Any:
    from marketdesk.store.models import utcnow

    return utcnow()


def test_admins_see_the_channels_settings_with_secrets_masked(channel_env: ChannelEnv) -> None:
    env = channel_env
    _, admin = env.operator(roles=("admin",))
    _, operator = env.operator()
    response = env.client.get("/api/v1/admin/channels", headers=auth(admin))
    assert response.status_code == 200
    assert [c["channel"] for c in response.json()["channels"]] == ["email", "telegram", "vk"]
    assert_error(env.client.get("/api/v1/admin/channels", headers=auth(operator)), 403, "forbidden")

    settings = env.db.settings(
        smtp_url="smtp://help:p4ssw0rd@mail.example.ru:587",
        imap_url="imaps://help:p4ssw0rd@mail.example.ru/INBOX",
        telegram_token="123:secret-token",
        vk_token="vk-secret",
        vk_confirmation="abc123",
    )
    shown = {c.channel: c for c in configs(settings)}
    assert all(c.configured for c in shown.values())
    flat = repr([c.settings for c in shown.values()])
    for secret in ("p4ssw0rd", "secret-token", "vk-secret", "abc123"):
        assert secret not in flat
    assert shown["email"].settings["MARKETDESK_SMTP_URL"] == "smtp://help:•••@mail.example.ru:587"
    assert shown["telegram"].settings["MARKETDESK_TELEGRAM_TOKEN"] == "задан"
    assert masked_url("imap://mail.example.ru") == "imap://mail.example.ru"


def test_channels_check_says_what_is_not_configured() -> None:
    result = CliRunner().invoke(main, ["channels", "check"], env={"MARKETDESK_TELEGRAM_TOKEN": ""})
    assert result.exit_code == 0, result.output
    assert "Telegram: не настроен." in result.output
    assert "Электронная почта: не настроен." in result.output
