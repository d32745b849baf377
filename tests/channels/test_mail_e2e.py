"""The e-mail channel end to end, against real servers on this machine: the customer's mail
client is ``smtplib`` talking to marketdesk's own SMTP receiver (``MARKETDESK_SMTP_LISTEN``;
the IMAP side is ``test_mail_imap.py``); what marketdesk sends is received by aiosmtpd in
the test process (``MARKETDESK_SMTP_URL``). Delivery rounds are driven here
(``deliver_due`` with its ``now``), so a server that is down needs no sleeping."""

from __future__ import annotations

import smtplib
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from marketdesk.channels.mail import EmailChannelSender, check_email
from marketdesk.channels.mail.parse import parse_mail
from marketdesk.server import create_app
from marketdesk.services import channels
from marketdesk.services.channels import DeliveryPolicy
from marketdesk.store.models import (
    ChannelContact,
    ChannelDelivery,
    ChannelInbound,
    Conversation,
    Message,
    utcnow,
)
from tests.channels.conftest import ChannelEnv
from tests.channels.mail_servers import SmtpSink, free_port, smtp_sink
from tests.chat.conftest import auth
from tests.conftest import TestDatabase, backends, prepare

POLICY = DeliveryPolicy(max_attempts=5, backoff_base=1.0, backoff_cap=60.0)


class MailEnv(ChannelEnv):
    sink: SmtpSink
    listen: int
    sender: EmailChannelSender

    def mail_in(self, letter: EmailMessage, to: str = "help@ozon.ru") -> None:
        """The customer's mail server hands ``letter`` to marketdesk's receiver: 250 means
        it is stored."""
        with smtplib.SMTP("127.0.0.1", self.listen, timeout=30) as client:
            client.send_message(letter, to_addrs=[to])

    def deliver(self, *, later: float = 0.0) -> int:
        """One delivery round, ``later`` seconds from now."""

        async def work(session: Any) -> int:
            return await channels.deliver_due(
                session,
                {"email": self.sender},
                policy=replace(POLICY, data_dir=self.db.tmp),
                now=utcnow() + timedelta(seconds=later),
            )

        return int(self.run(work))

    def deliver_all(self, *, later: float = 0.0) -> None:
        for _ in range(20):
            if not self.deliver(later=later):
                return

    def inbound(self, message_id: str) -> ChannelInbound | None:
        return self.run(lambda s: s.get(ChannelInbound, ("email", message_id)))  # type: ignore[no-any-return]

    def deliveries(self, conversation_id: int) -> list[ChannelDelivery]:
        async def work(session: Any) -> list[ChannelDelivery]:
            rows = await session.scalars(
                select(ChannelDelivery)
                .where(ChannelDelivery.conversation_id == conversation_id)
                .order_by(ChannelDelivery.id)
            )
            return list(rows)

        return list(self.run(work))

    def transcript(self, conversation_id: int) -> list[Message]:
        async def work(session: Any) -> list[Message]:
            rows = await session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.seq)
            )
            return list(rows)

        return list(self.run(work))


@pytest.fixture(scope="module", params=backends())
def mail_env(
    request: pytest.FixtureRequest,
    make_database: Any,
) -> Iterator[MailEnv]:
    db: TestDatabase = make_database(request.param)
    prepare(db.url)
    with smtp_sink() as sink:
        listen = free_port()
        settings = db.settings(smtp_url=sink.url, smtp_listen=f"127.0.0.1:{listen}")
        app = create_app(settings)
        registered = app.state.channel_senders
        assert isinstance(registered.get("email"), EmailChannelSender)  # SMTP configured
        app.state.channel_senders = {}  # the rounds are driven by the tests
        with TestClient(app, raise_server_exceptions=False) as client:
            env = MailEnv(db, client)
            env.sink, env.listen = sink, listen
            env.sender = registered["email"]
            yield env


def _letter(
    sender: str,
    subject: str,
    text: str,
    *,
    to: str = "help@ozon.ru",
    reply_to: EmailMessage | None = None,
    name: str = "Покупатель",
) -> EmailMessage:
    letter = EmailMessage()
    letter["From"] = f"{name} <{sender}>"
    letter["To"] = to
    letter["Subject"] = subject
    letter["Message-ID"] = make_msgid(domain="client.example")
    if reply_to is not None:
        letter["In-Reply-To"] = reply_to["Message-ID"]
        refs = str(reply_to.get("References", ""))
        letter["References"] = f"{refs} {reply_to['Message-ID']}".strip()
    letter.set_content(text)
    return letter


def _address() -> str:
    return f"client-{uuid.uuid4().hex[:8]}@mail.example"


def test_a_customer_writes_the_bot_answers_an_operator_replies_all_by_mail(
    mail_env: MailEnv,
) -> None:
    env = mail_env
    customer = _address()
    first = _letter(customer, "Подарочный сертификат", "Как активировать подарочный сертификат?")
    env.mail_in(first)
    taken = env.inbound(first["Message-ID"])
    assert taken is not None  # stored before the 250
    cid = taken.conversation_id
    conversation = env.run(lambda s: s.get(Conversation, cid))
    assert (
        conversation.channel == "email" and conversation.extra["subject"] == "Подарочный сертификат"
    )
    [question, answer] = env.transcript(cid)[:2]
    assert question.text == "Как активировать подарочный сертификат?"
    assert answer.sender_kind == "bot"

    # the bot's answer goes out as a reply letter, threaded
    env.deliver_all()
    [bot_letter] = env.sink.to(customer)
    assert bot_letter["In-Reply-To"] == first["Message-ID"]
    assert bot_letter["Subject"] == f"Re: Подарочный сертификат [№ {cid}]"
    assert "help@ozon.ru" in str(bot_letter["From"])
    assert bot_letter["Auto-Submitted"] == "auto-replied"
    assert answer.text.strip()[:40] in bot_letter.get_content()
    [row] = env.deliveries(cid)
    assert row.status == "sent" and row.external_id == bot_letter["Message-ID"]

    # the customer answers the bot's letter: the same conversation, to an operator
    second = _letter(
        customer, str(bot_letter["Subject"]), "Позовите оператора, пожалуйста", reply_to=bot_letter
    )
    env.mail_in(second)
    assert env.inbound(second["Message-ID"]).conversation_id == cid
    assert env.run(lambda s: s.get(Conversation, cid)).status == "queued"
    env.deliver_all()
    handoff = env.sink.to(customer)[1:]
    assert handoff and "ответит на это письмо" in handoff[-1].get_content()

    _, operator = env.operator(lines=("general",))
    assert env.post(operator, f"/api/v1/conversations/{cid}/take").status_code == 200
    reply = env.send(operator, cid, "Сертификат активирован, проверьте баланс.")
    assert reply.status_code == 201, reply.text
    env.deliver_all()
    letters = env.sink.to(customer)
    last = letters[-1]
    assert "Сертификат активирован, проверьте баланс." in last.get_content()
    assert last["Auto-Submitted"] is None  # a person's letter
    assert last["Subject"] == f"Re: Подарочный сертификат [№ {cid}]"
    references = str(last["References"]).split()
    assert first["Message-ID"] in references and second["Message-ID"] in references
    assert bot_letter["Message-ID"] in references
    # «Оператор подключился к диалогу» is the console's news, not a letter
    statuses = {row.status for row in env.deliveries(cid)}
    assert statuses == {"sent", "skipped"}
    assert not any("подключился" in m.get_content() for m in letters)
    # each message once
    ids = [m["Message-ID"] for m in letters]
    assert len(ids) == len(set(ids))

    # the customer's reply to the operator joins the conversation again
    third = _letter(customer, str(last["Subject"]), "Спасибо, получилось!", reply_to=last)
    env.mail_in(third)
    assert env.inbound(third["Message-ID"]).conversation_id == cid
    assert env.transcript(cid)[-1].text == "Спасибо, получилось!"


def test_the_smtp_server_down_delays_and_loses_nothing(mail_env: MailEnv) -> None:
    env = mail_env
    customer = _address()
    letter = _letter(customer, "Доставка", "Позовите оператора")
    env.mail_in(letter)
    cid = env.inbound(letter["Message-ID"]).conversation_id
    _, operator = env.operator(lines=("general",))
    env.post(operator, f"/api/v1/conversations/{cid}/take")
    assert env.send(operator, cid, "Курьер приедет завтра.").status_code == 201

    env.sink.stop()  # down: the port refuses
    try:
        env.deliver()
        first = env.deliveries(cid)[0]
        assert first.status == "pending" and first.attempts == 1 and first.error
        env.deliver(later=5)  # a try a little later: still down
        rows = env.deliveries(cid)
        assert rows[0].status == "pending" and rows[0].attempts == 2
        assert all(r.attempts == 0 for r in rows[1:])  # in order: the rest wait
        assert env.sink.to(customer) == []
    finally:
        env.sink.start()
    env.deliver_all(later=600)  # back up, and the backoff's pause is over
    rows = env.deliveries(cid)
    assert {r.status for r in rows} <= {"sent", "skipped"}
    received = env.sink.to(customer)
    texts = [m.get_content() for m in received]
    assert sum("Курьер приедет завтра." in t for t in texts) == 1
    assert len(received) == sum(r.status == "sent" for r in rows)
    # nothing more goes out on the next rounds
    env.deliver_all(later=1200)
    assert len(env.sink.to(customer)) == len(received)


def test_a_permanent_refusal_is_not_delivered_at_once(mail_env: MailEnv) -> None:
    env = mail_env
    customer = _address()
    env.sink.refuse.add(customer)
    letter = _letter(customer, "Вопрос", "Как активировать подарочный сертификат?")
    env.mail_in(letter)
    cid = env.inbound(letter["Message-ID"]).conversation_id
    env.deliver()
    [row] = env.deliveries(cid)
    assert row.status == "failed" and row.attempts == 1
    assert "550" in (row.error or "")


def test_machines_letters_are_never_answered(mail_env: MailEnv) -> None:
    env = mail_env
    customer = _address()
    auto = _letter(customer, "Автоматический ответ: Вопрос", "Я в отпуске до понедельника.")
    auto["Auto-Submitted"] = "auto-replied"
    env.mail_in(auto)
    loop = _letter("help@ozon.ru", "Re: Вопрос", "Наше же письмо вернулось")
    env.mail_in(loop)
    bounce = _letter("MAILER-DAEMON@mx.mail.example", "Undelivered Mail", "could not be delivered")
    env.mail_in(bounce)
    for letter in (auto, loop, bounce):
        assert env.inbound(letter["Message-ID"]) is None

    async def contacts(session: Any) -> list[str]:
        rows = await session.scalars(
            select(ChannelContact.address).where(
                ChannelContact.address.in_(
                    [customer, "help@ozon.ru", "mailer-daemon@mx.mail.example"]
                )
            )
        )
        return list(rows)

    assert env.run(contacts) == []


def test_the_receiver_takes_mail_for_our_addresses_only(mail_env: MailEnv) -> None:
    env = mail_env
    letter = _letter(_address(), "Вопрос", "Текст")
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        env.mail_in(letter, to="someone-else@ozon.ru")
    assert env.inbound(letter["Message-ID"]) is None


def test_a_repeat_is_stored_once(mail_env: MailEnv) -> None:
    env = mail_env
    letter = _letter(_address(), "Повтор", "Одно и то же письмо дважды")
    env.mail_in(letter)
    env.mail_in(letter)  # the sending server did not see our 250 and tries again
    cid = env.inbound(letter["Message-ID"]).conversation_id
    texts = [m.text for m in env.transcript(cid)]
    assert texts.count("Одно и то же письмо дважды") == 1


def test_the_number_in_the_subject_threads_only_the_senders_own(mail_env: MailEnv) -> None:
    env = mail_env
    customer = _address()
    first = _letter(customer, "Возврат", "Хочу вернуть товар")
    env.mail_in(first)
    cid = env.inbound(first["Message-ID"]).conversation_id
    # a reply whose client dropped In-Reply-To: the number in the subject
    again = _letter(customer, f"Re: Возврат [№ {cid}]", "Забыл написать номер заказа")
    env.mail_in(again)
    assert env.inbound(again["Message-ID"]).conversation_id == cid
    # a new letter (not a reply) from the same customer: a new conversation
    new = _letter(customer, "Другой вопрос", "Как изменить адрес?")
    env.mail_in(new)
    assert env.inbound(new["Message-ID"]).conversation_id != cid
    # someone else naming that number joins nothing of theirs
    stranger = _letter(_address(), f"Re: Возврат [№ {cid}]", "Чужое обращение")
    env.mail_in(stranger)
    assert env.inbound(stranger["Message-ID"]).conversation_id != cid


def test_a_letter_to_the_sellers_address_opens_a_seller_conversation(mail_env: MailEnv) -> None:
    env = mail_env
    seller = _address()
    letter = _letter(
        seller,
        "Неправильный статус заказа 70011223-0002",
        "Статус «Доставлен», но покупатель не получил.",
        to="sellersup@ozon.ru",
    )
    env.mail_in(letter, to="sellersup@ozon.ru")
    cid = env.inbound(letter["Message-ID"]).conversation_id
    conversation = env.run(lambda s: s.get(Conversation, cid))
    assert conversation.line == "seller"
    assert (conversation.seller_topic, conversation.seller_subtopic) == (
        "Заказы",
        "Неправильный статус заказа",
    )
    env.deliver_all()
    replies = env.sink.to(seller)
    assert replies and all("sellersup@ozon.ru" in str(m["From"]) for m in replies)
    assert all(f"[№ {conversation.ticket_number}]" in str(m["Subject"]) for m in replies)
    # the seller answers with the ticket in the subject only: the same request
    again = _letter(
        seller, f"Re: Статус [№ {conversation.ticket_number}]", "Дополнение", to="sellersup@ozon.ru"
    )
    env.mail_in(again, to="sellersup@ozon.ru")
    assert env.inbound(again["Message-ID"]).conversation_id == cid


def test_photos_come_in_and_go_out_as_attachments(mail_env: MailEnv) -> None:
    env = mail_env
    customer = _address()
    letter = _letter(customer, "Брак", "Фото во вложении")
    png = Path(__file__).parent.joinpath("mail_corpus", "22_docx_and_png.eml")
    photo = next(f for f in parse_mail(png.read_bytes()).files if f.filename == "scan.png")
    letter.add_attachment(photo.data, maintype="image", subtype="png", filename="фото.png")
    env.mail_in(letter)
    cid = env.inbound(letter["Message-ID"]).conversation_id
    _, operator = env.operator(lines=("general",))
    env.post(operator, f"/api/v1/conversations/{cid}/take")
    listed = env.messages(operator, cid)
    files = [a for m in listed for a in m.get("attachments", [])]
    assert [a["filename"] for a in files] == ["фото.png"]

    uploaded = env.client.post(
        f"/api/v1/conversations/{cid}/attachments",
        files={"file": ("ответ.png", photo.data, "image/png")},
        data={"client_msg_id": uuid.uuid4().hex, "text": "Вот как должно быть"},
        headers=auth(operator),
    )
    assert uploaded.status_code == 201, uploaded.text
    env.deliver_all()
    last = env.sink.to(customer)[-1]
    attached = [(p.get_filename(), p.get_content()) for p in last.iter_attachments()]
    assert attached == [("ответ.png", photo.data)]


def test_check_email_says_what_is_wrong(mail_env: MailEnv) -> None:
    env = mail_env
    good = env.db.settings(smtp_url=env.sink.url)
    assert env.in_app(lambda: check_email(good)) == []
    bad = env.db.settings(
        smtp_url=f"smtp://127.0.0.1:{free_port()}",
        smtp_listen="nowhere",
        mail_seller_topic="Нет такой темы",
    )
    problems = env.in_app(lambda: check_email(bad))
    assert any(p.startswith("Не удаётся связаться с SMTP-сервером 127.0.0.1") for p in problems)
    assert any(p.startswith("MARKETDESK_SMTP_LISTEN: ожидается host:port") for p in problems)
    assert any(p.startswith("MARKETDESK_MAIL_SELLER_TOPIC/_SUBTOPIC") for p in problems)
    only_in = env.db.settings(smtp_listen="127.0.0.1:2525")
    assert env.in_app(lambda: check_email(only_in)) == [
        "Исходящая почта не настроена (MARKETDESK_SMTP_URL): письма принимаются, "
        "но ответы клиентам по почте не уйдут."
    ]
    assert env.in_app(lambda: check_email(env.db.settings())) == []  # e-mail off
