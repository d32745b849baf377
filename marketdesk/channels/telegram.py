"""Telegram: a bot's private chats as conversations (issue 12), through aiogram's Bot API
client pointed at ``MARKETDESK_TELEGRAM_API`` (Telegram's server, a local Bot API server or a
test's).

* **In.** An update — from the webhook (``telegram_routes.py``) or the long-polling worker
  (``workers/telegram.py``) — becomes one :class:`~marketdesk.services.channels.InboundMessage`
  (the chat id is the address, ``update:<update_id>`` the idempotency key; photos and
  documents are fetched with ``getFile`` from ``{api}/file/bot<token>/<path>``) and goes
  through :func:`~marketdesk.services.channels.receive`; the caller acknowledges the update
  only after it returned. ``/start`` gets the greeting with the «Поделиться номером» button;
  a shared contact that is the sender's own links the chat to the customer with that phone.
* **Out.** :class:`TelegramChannel` is the channel's
  :class:`~marketdesk.services.channels.ChannelSender`: ``sendMessage``, ``sendPhoto``,
  ``sendDocument`` (multipart). 400 and 403 («bot was blocked by the user») are refusals
  for good; anything else is retried by the delivery worker. The Bot API has no idempotency
  key: a send interrupted by a kill may show twice (``services.channels.delivery``).
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BufferedInputFile,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
    User,
)
from aiogram.utils.token import TokenValidationError, validate_token

from marketdesk.bot.texts import GREETING
from marketdesk.domain.channels import Channel
from marketdesk.domain.login import InvalidPhoneNumber, normalize_phone
from marketdesk.services import channels, chat
from marketdesk.services.channels import ChannelMessage, DeliveryRefused, InboundFile
from marketdesk.services.errors import ServiceError, Unavailable
from marketdesk.settings import Settings

from .telegram_config import TelegramConfig
from .text_split import split_text

__all__ = [
    "SHARE_PHONE",
    "TelegramChannel",
    "TelegramConfig",
    "check_telegram",
    "make_bot",
    "split_text",
]

log = logging.getLogger("marketdesk.channels.telegram")

SHARE_PHONE = "Поделиться номером"
START_GREETING = (
    f"{GREETING} Если вы уже покупали у нас, нажмите «{SHARE_PHONE}» — так оператор "
    "увидит ваши заказы."
)
LINKED = "Спасибо! Номер привязан к вашему аккаунту покупателя. Напишите, пожалуйста, ваш вопрос."
NOT_A_CUSTOMER = (
    "Покупателя с этим номером мы не нашли. Ничего страшного — напишите ваш вопрос, мы поможем "
    "и так."
)
NOT_YOUR_CONTACT = (
    f"Поделиться можно только своим номером: нажмите кнопку «{SHARE_PHONE}» под полем ввода."
)
BAD_PHONE = "Этот номер не похож на российский мобильный. Напишите, пожалуйста, ваш вопрос текстом."
FILE_NOT_TAKEN = (
    "Не получилось получить файл: он слишком большой. Пришлите, пожалуйста, изображение или PDF "
    "размером до 10 МБ."
)
UNSUPPORTED = (
    "Пока я понимаю только текст, фотографии и документы. Напишите, пожалуйста, ваш вопрос текстом."
)

TEXT_LIMIT = 4096  # sendMessage's text
CAPTION_LIMIT = 1024  # sendPhoto's and sendDocument's caption
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
"""Sent as photos (a GIF, animated, goes as a document)."""
_START = re.compile(r"^/start(@\w+)?(\s|$)")
POLLING_UPDATES = ("message",)


def make_bot(config: TelegramConfig) -> Bot:
    """aiogram's client of the bot (raises ``TokenValidationError`` for a malformed token)."""
    server = TelegramAPIServer.from_base(config.api)
    return Bot(config.token, session=AiohttpSession(api=server))


def _display_name(user: User | None) -> str | None:
    if user is None:
        return None
    name = " ".join(part for part in (user.first_name, user.last_name) if part).strip()
    return name or (f"@{user.username}" if user.username else None)


def _start_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=SHARE_PHONE, request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


class TelegramChannel:
    """The Telegram bot: both sides of the channel (see the module's docstring)."""

    channel = Channel.TELEGRAM.value

    def __init__(self, config: TelegramConfig) -> None:
        self.config = config
        self.bot = make_bot(config)

    @classmethod
    def from_settings(cls, settings: Settings) -> TelegramChannel | None:
        config = TelegramConfig.from_settings(settings)
        if config is None:
            return None
        try:
            return cls(config)
        except TokenValidationError:
            log.error("MARKETDESK_TELEGRAM_TOKEN is malformed: Telegram is off")
            return None

    async def aclose(self) -> None:
        await self.bot.session.close()

    # --- the webhook's checks ---------------------------------------------------------------

    def secret_matches(self, path_secret: str, header: str | None) -> bool:
        """Both the path's secret and Telegram's ``X-Telegram-Bot-Api-Secret-Token`` are
        ``MARKETDESK_TELEGRAM_SECRET`` (no secret configured: the webhook takes nothing)."""
        secret = self.config.secret
        if not secret or header is None:
            return False
        return hmac.compare_digest(path_secret.encode(), secret.encode()) and hmac.compare_digest(
            header.encode(), secret.encode()
        )

    def parse_update(self, data: Any) -> Update:
        """An update's JSON as aiogram's model (raises ``ValueError`` when it is none)."""
        if not isinstance(data, dict):
            raise ValueError("an update is a JSON object")
        return Update.model_validate(data, context={"bot": self.bot})

    # --- long polling -----------------------------------------------------------------------

    async def prepare_polling(self) -> None:
        """``getUpdates`` refuses while a webhook is set: remove it (pending updates stay)."""
        await self.bot.delete_webhook(drop_pending_updates=False)

    async def get_updates(self, offset: int | None, wait: int) -> Sequence[tuple[int, Update]]:
        updates = await self.bot.get_updates(
            offset=offset,
            timeout=wait,
            allowed_updates=list(POLLING_UPDATES),
            request_timeout=wait + 10,
        )
        return [(update.update_id, update) for update in updates]

    # --- in ---------------------------------------------------------------------------------

    async def handle_update(self, ctx: chat.ChatContext, update: Update, *, data_dir: Path) -> None:
        """One update into its conversation (see the module's docstring). A refusal of the
        chat (a file of a kind it does not take…) is told to the customer in the chat and the
        update is done; anything else raises, and the update is not acknowledged."""
        message = update.message
        if message is None or message.chat.type != "private":
            return  # edits, callbacks, groups the bot was added to: not a customer's chat
        address = str(message.chat.id)
        text = message.text or message.caption or ""
        if message.contact is not None:
            await self._contact(ctx, message, address)
            return
        if _START.match(text):
            await self._say(address, START_GREETING, reply_markup=_start_keyboard())
            return
        try:
            files = await self._files(message)
        except TelegramBadRequest as exc:  # «file is too big» (over the Bot API's 20 MB)
            log.info("telegram: a file from %s not fetched: %s", address, exc.message)
            await self._say(address, FILE_NOT_TAKEN)
            if not text.strip():
                return
            files = ()
        if not text.strip() and not files:
            await self._say(address, UNSUPPORTED)
            return
        inbound = channels.InboundMessage(
            channel=Channel.TELEGRAM,
            address=address,
            external_id=f"update:{update.update_id}",
            text=text,
            display_name=_display_name(message.from_user),
            files=files,
        )
        try:
            await channels.receive(ctx, inbound, data_dir=data_dir)
        except Unavailable:
            raise
        except ServiceError as refusal:
            await self._say(address, refusal.message)

    async def _files(self, message: Message) -> tuple[InboundFile, ...]:
        """The photo (its largest size) or the document of ``message``, downloaded."""
        if message.photo:
            largest = max(message.photo, key=lambda size: size.width * size.height)
            data = await self._download(largest.file_id)
            return (InboundFile(f"photo-{largest.file_unique_id}.jpg", data),)
        if message.document is not None:
            document = message.document
            data = await self._download(document.file_id)
            return (InboundFile(document.file_name or f"document-{document.file_unique_id}", data),)
        return ()

    async def _download(self, file_id: str) -> bytes:
        file = await self.bot.get_file(file_id)
        if not file.file_path:
            raise RuntimeError(f"getFile gave no file_path for {file_id}")
        buffer = await self.bot.download_file(file.file_path)
        assert buffer is not None
        return buffer.read()

    async def _contact(self, ctx: chat.ChatContext, message: Message, address: str) -> None:
        contact = message.contact
        assert contact is not None
        sender = message.from_user
        if sender is None or contact.user_id != sender.id:
            await self._say(address, NOT_YOUR_CONTACT, reply_markup=_start_keyboard())
            return
        try:
            phone = normalize_phone(contact.phone_number)
        except InvalidPhoneNumber:
            await self._say(address, BAD_PHONE, reply_markup=ReplyKeyboardRemove())
            return
        database = ctx.database
        assert database is not None
        async with database.sessions() as session:
            linked = await channels.link_by_phone(
                session,
                Channel.TELEGRAM,
                address,
                phone,
                linked_by="telegram_contact",
                display_name=_display_name(sender),
            )
        await self._say(
            address,
            LINKED if linked is not None else NOT_A_CUSTOMER,
            reply_markup=ReplyKeyboardRemove(),
        )

    async def _say(
        self,
        address: str,
        text: str,
        reply_markup: ReplyKeyboardMarkup | ReplyKeyboardRemove | None = None,
    ) -> None:
        """A service message of the bot (the greeting, a refusal): not part of a conversation,
        sent at once; a failure is logged, not raised (the update itself is done)."""
        try:
            await self.bot.send_message(int(address), text, reply_markup=reply_markup)
        except TelegramAPIError as exc:
            log.warning("telegram: service message to %s not sent: %s", address, exc)

    # --- out --------------------------------------------------------------------------------

    async def deliver(self, message: ChannelMessage) -> str | None:
        """Send ``message``: the text (in pieces of 4096), then each file — a single file
        carries a short text as its caption. → the first sent message's id."""
        try:
            return await self._deliver(message)
        except (TelegramBadRequest, TelegramForbiddenError, TelegramEntityTooLarge) as exc:
            raise DeliveryRefused(f"Telegram: {exc.message}") from exc

    async def _deliver(self, message: ChannelMessage) -> str | None:
        chat_id = int(message.address)
        files = message.attachments
        caption = message.text if len(files) == 1 and len(message.text) <= CAPTION_LIMIT else ""
        ids: list[int] = []
        if not caption:
            for piece in split_text(message.text):
                ids.append((await self.bot.send_message(chat_id, piece)).message_id)
        for file in files:
            upload = BufferedInputFile(file.path.read_bytes(), filename=file.filename)
            if file.content_type in PHOTO_TYPES:
                sent = await self.bot.send_photo(chat_id, upload, caption=caption or None)
            else:
                sent = await self.bot.send_document(chat_id, upload, caption=caption or None)
            ids.append(sent.message_id)
        return str(ids[0]) if ids else None


async def check_telegram(settings: Settings) -> list[str]:
    """What is wrong with the Telegram settings, in Russian (empty: nothing)."""
    config = TelegramConfig.from_settings(settings)
    if config is None:
        return ["не задан MARKETDESK_TELEGRAM_TOKEN: Telegram не подключён"]
    try:
        validate_token(config.token)
    except TokenValidationError:
        return ["токен Telegram имеет неверный вид: ожидается «123456789:AA…» от @BotFather"]
    problems: list[str] = []
    if config.mode == "webhook" and not config.secret:
        problems.append(
            "не задан MARKETDESK_TELEGRAM_SECRET: в режиме webhook бот не примет ни одного "
            "обновления"
        )
    bot = make_bot(config)
    try:
        await bot.get_me()
        info = await bot.get_webhook_info()
    except TelegramUnauthorizedError:
        problems.append("токен Telegram не подходит (getMe: 401)")
        return problems
    except TelegramNetworkError as exc:
        problems.append(f"сервер Bot API {config.api} недоступен: {exc.message}")
        return problems
    except TelegramAPIError as exc:
        problems.append(f"Bot API ответил ошибкой на getMe: {exc.message}")
        return problems
    finally:
        await bot.session.close()
    expected = f"{settings.public_url.rstrip('/')}/api/v1/channels/telegram/"
    if config.mode == "webhook" and not info.url:
        problems.append(
            f"вебхук не установлен: вызовите setWebhook с адресом {expected}<секрет> и "
            "secret_token (см. README)"
        )
    elif config.mode == "webhook" and not info.url.startswith(expected):
        elsewhere = info.url.split("/api/", 1)[0]  # not the secret
        problems.append(
            f"вебхук бота указывает не на этот сервер ({elsewhere}), а MARKETDESK_PUBLIC_URL — "
            f"{settings.public_url}"
        )
    if info.last_error_message:
        problems.append(f"Telegram сообщает об ошибке вебхука: {info.last_error_message}")
    return problems
