"""The e-mail channel's IMAP side against a real server: a private Dovecot (Debian's
``dovecot-imapd``, installed by ``python3 tools/dev.py test`` when missing) that the
server's poller watches (``MARKETDESK_IMAP_URL``, IDLE); letters are put into it with IMAP
APPEND, as a delivery agent would. What marketdesk answers is received by aiosmtpd."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from marketdesk.channels.mail import EmailChannelSender, accept_mail, check_email
from marketdesk.channels.mail.imap import ImapConfig, ImapInbox
from marketdesk.server import create_app
from tests.channels.mail_servers import Dovecot, run_dovecot, smtp_sink
from tests.channels.test_mail_e2e import MailEnv, _address, _letter
from tests.conftest import TestDatabase, backends, prepare


class ImapEnv(MailEnv):
    dovecot: Dovecot


@pytest.fixture(scope="module", params=backends())
def imap_env(request: pytest.FixtureRequest, make_database: Any) -> Iterator[ImapEnv]:
    db: TestDatabase = make_database(request.param)
    with run_dovecot() as dovecot, smtp_sink() as sink:
        prepare(db.url)
        settings = db.settings(smtp_url=sink.url, imap_url=dovecot.url(), imap_poll_seconds=5.0)
        app = create_app(settings)
        sender = app.state.channel_senders["email"]
        assert isinstance(sender, EmailChannelSender)
        app.state.channel_senders = {}  # the rounds are driven by the tests
        with TestClient(app, raise_server_exceptions=False) as client:
            env = ImapEnv(db, client)
            env.sink, env.dovecot, env.sender = sink, dovecot, sender
            yield env


def _wait(condition: Any, what: str, seconds: float = 60.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds} s: {what}")


def test_the_server_polls_the_mailbox(imap_env: ImapEnv) -> None:
    env = imap_env
    customer = _address()
    letter = _letter(customer, "Письмо через IMAP", "Как активировать подарочный сертификат?")
    env.dovecot.deliver(letter.as_bytes())
    taken = _wait(lambda: env.inbound(letter["Message-ID"]), "the letter taken from IMAP")
    assert (
        env.transcript(taken.conversation_id)[0].text == "Как активировать подарочный сертификат?"
    )
    # acknowledged once stored: \Seen
    _wait(
        lambda: all("\\Seen" in flags for flags in env.dovecot.flags()),
        "the letter marked seen",
    )
    env.deliver_all()
    assert env.sink.to(customer)[0]["In-Reply-To"] == letter["Message-ID"]


class CrashingInbox(ImapInbox):
    """The process dies after the letter is committed and before the IMAP flag is set."""

    crashes = 1

    async def acknowledge(self, uid: str) -> None:
        if self.crashes:
            self.crashes -= 1
            raise ConnectionResetError("killed between the commit and the acknowledgement")
        await super().acknowledge(uid)


def test_a_crash_between_commit_and_ack_gives_no_duplicate(imap_env: ImapEnv) -> None:
    env = imap_env
    folder = "Входящие поддержки"  # a Russian folder name, with a space
    customer = _address()
    letter = _letter(customer, "Сбой", "Письмо, которое прочтут дважды")
    env.dovecot.deliver(letter.as_bytes(), mailbox=folder)
    settings = env.db.settings()

    async def handle(raw: bytes) -> Any:
        return await accept_mail(env.ctx(), raw, settings)

    config = ImapConfig.from_url(env.dovecot.url(folder))
    crashing = CrashingInbox(config, handle)
    with pytest.raises(ConnectionResetError):
        env.in_app(crashing.poll)
    env.in_app(crashing.close)
    taken = env.inbound(letter["Message-ID"])
    assert taken is not None  # committed…
    assert "\\Seen" not in env.dovecot.flags(folder)[0]  # …but not acknowledged

    restarted = ImapInbox(config, handle)  # the process comes back: the letter again
    try:
        assert env.in_app(restarted.poll) == 1
    finally:
        env.in_app(restarted.close)
    assert "\\Seen" in env.dovecot.flags(folder)[0]
    texts = [m.text for m in env.transcript(taken.conversation_id)]
    assert texts.count("Письмо, которое прочтут дважды") == 1
    assert env.inbound(letter["Message-ID"]).conversation_id == taken.conversation_id


def test_check_email_logs_in_to_the_mailbox(imap_env: ImapEnv) -> None:
    env = imap_env
    good = env.db.settings(smtp_url=env.sink.url, imap_url=env.dovecot.url())
    assert env.in_app(lambda: check_email(good)) == []
    wrong = env.dovecot.url().replace(env.dovecot.password, "wrong")
    bad = env.db.settings(smtp_url=env.sink.url, imap_url=wrong)
    [problem] = env.in_app(lambda: check_email(bad))
    assert problem.startswith(f"IMAP-сервер 127.0.0.1:{env.dovecot.port}: вход в почтовый ящик")
    missing = env.db.settings(smtp_url=env.sink.url, imap_url=env.dovecot.url("Нет"))
    [problem] = env.in_app(lambda: check_email(missing))
    assert "папка Нет" in problem
