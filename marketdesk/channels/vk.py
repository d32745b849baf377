"""VK: a community's messages as conversations (issue 12), through the Callback API in and
the VK API (``MARKETDESK_VK_API``, version :data:`VK_VERSION`) out, with httpx: a handful of
methods, each one POST whose answer is ``{"response": …}`` or ``{"error": {"error_code",
"error_msg"}}``.

* **In.** ``message_new`` (``vk_routes.py``) becomes one
  :class:`~marketdesk.services.channels.InboundMessage`: the peer id is the address,
  ``message:<id>`` the idempotency key (the Callback API repeats an event it got no «ok»
  for), photos (their largest size) and documents are downloaded from their URLs; the route
  answers «ok» only after :func:`~marketdesk.services.channels.receive` returned.
* **Out.** :class:`VkChannel` is the channel's
  :class:`~marketdesk.services.channels.ChannelSender`: ``messages.send`` with ``random_id``
  derived from the delivery's idempotency key, so a retry after a lost answer is not sent
  twice; photos through ``photos.getMessagesUploadServer`` → upload →
  ``photos.saveMessagesPhoto``, other files through ``docs.getMessagesUploadServer`` → upload
  → ``docs.save``. The error codes of :data:`PERMANENT_ERRORS` (the user forbade messages,
  the blacklist…) are refusals for good; anything else is retried.
* **Notifications.** :class:`VkNotificationSender` is the outbox's VK adapter
  (``services.notifications``): the notification's text by ``messages.send`` to the peer the
  customer writes to the community from, ``random_id`` derived from the notification's
  idempotency key (the same on every try, so a retry after a crash or a lost answer is
  dropped by VK); the same errors are refusals for good, the others retried with backoff.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from marketdesk.domain.channels import Channel
from marketdesk.services import channels, chat
from marketdesk.services.channels import ChannelMessage, DeliveryRefused, InboundFile, OutboundFile
from marketdesk.services.errors import ServiceError, Unavailable
from marketdesk.services.notifications import DeliveryRefused as NotificationRefused
from marketdesk.services.notifications import OutgoingNotification, SendReport
from marketdesk.settings import Settings

from .text_split import split_text

__all__ = [
    "PERMANENT_ERRORS",
    "VK_VERSION",
    "VkApiError",
    "VkChannel",
    "VkConfig",
    "VkNotificationSender",
    "check_vk",
    "random_id",
]

log = logging.getLogger("marketdesk.channels.vk")

VK_VERSION = "5.199"
TEXT_LIMIT = 4096
CHAT_PEERS = 2_000_000_000
"""Peer ids from here on are group chats (``2000000000 + chat_id``)."""
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/gif"})
"""Uploaded as photos; anything else goes as a document."""
PERMANENT_ERRORS = frozenset(
    {
        7,  # permission to perform this action is denied
        15,  # access denied
        100,  # a parameter is missing or invalid
        113,  # invalid user id
        900,  # the user is in the community's blacklist
        901,  # the user has not allowed the community's messages
        902,  # the user's privacy settings
        913,  # too many forwarded messages
        914,  # message too long
        917,  # no access to this chat
        936,  # contact not found
        945,  # the chat was disabled
        946,  # chat not supported
    }
)
"""``messages.send`` errors a retry cannot fix; the others (6 and 9: too many requests,
10: internal error, 5: the token, fixed by an admin) are retried."""

UNSUPPORTED = (
    "Пока я понимаю только текст, фотографии и документы. Напишите, пожалуйста, ваш вопрос текстом."
)


class VkApiError(Exception):
    """The VK API's ``error`` envelope."""

    def __init__(self, method: str, code: int, message: str) -> None:
        super().__init__(f"{method}: {code} {message}")
        self.method, self.code, self.message = method, code, message


@dataclass(frozen=True, slots=True)
class VkConfig:
    """``MARKETDESK_VK_*``."""

    token: str
    secret: str | None
    confirmation: str | None
    api: str

    @classmethod
    def from_settings(cls, settings: Settings) -> VkConfig | None:
        if settings.vk_token is None or not settings.vk_token.get_secret_value():
            return None
        secret = settings.vk_secret.get_secret_value() if settings.vk_secret else None
        return cls(
            token=settings.vk_token.get_secret_value(),
            secret=secret or None,
            confirmation=settings.vk_confirmation or None,
            api=settings.vk_api.rstrip("/"),
        )


def random_id(idempotency_key: str, piece: int = 0) -> int:
    """``messages.send``'s ``random_id`` (a positive int32): the same on every try."""
    digest = hashlib.sha256(f"{idempotency_key}:{piece}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF or 1


class VkApi:
    """The VK API over one httpx client."""

    def __init__(self, config: VkConfig, client: httpx.AsyncClient) -> None:
        self.config = config
        self.client = client

    async def call(self, method: str, **params: Any) -> Any:
        response = await self.client.post(
            f"{self.config.api}/method/{method}",
            data={
                **{k: str(v) for k, v in params.items() if v is not None},
                "access_token": self.config.token,
                "v": VK_VERSION,
            },
        )
        response.raise_for_status()
        body = response.json()
        if "error" in body:
            error = body["error"]
            raise VkApiError(method, int(error.get("error_code", 0)), str(error.get("error_msg")))
        return body["response"]

    async def upload(self, url: str, field: str, file: OutboundFile) -> dict[str, Any]:
        """A file to an upload server (multipart); its JSON answer."""
        response = await self.client.post(
            url, files={field: (file.filename, file.path.read_bytes(), file.content_type)}
        )
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        if "error" in body:
            raise VkApiError("upload", 0, str(body["error"]))
        return body

    async def attachment(self, peer_id: int, file: OutboundFile) -> str:
        """``photo<owner>_<id>_<key>`` or ``doc<owner>_<id>`` of an uploaded file."""
        if file.content_type in PHOTO_TYPES:
            server = await self.call("photos.getMessagesUploadServer", peer_id=peer_id)
            uploaded = await self.upload(server["upload_url"], "photo", file)
            [photo] = await self.call(
                "photos.saveMessagesPhoto",
                photo=uploaded["photo"],
                server=uploaded["server"],
                hash=uploaded["hash"],
            )
            key = f"_{photo['access_key']}" if photo.get("access_key") else ""
            return f"photo{photo['owner_id']}_{photo['id']}{key}"
        server = await self.call("docs.getMessagesUploadServer", type="doc", peer_id=peer_id)
        uploaded = await self.upload(server["upload_url"], "file", file)
        saved = await self.call("docs.save", file=uploaded["file"], title=file.filename)
        doc = saved["doc"]
        return f"doc{doc['owner_id']}_{doc['id']}"


def _largest_photo(photo: dict[str, Any]) -> str | None:
    sizes = [s for s in photo.get("sizes") or [] if s.get("url")]
    if not sizes:
        return None
    return str(max(sizes, key=lambda s: int(s.get("width", 0)) * int(s.get("height", 0)))["url"])


def _attachment_source(index: int, attachment: dict[str, Any]) -> tuple[str, str] | None:
    """(file name, URL) of a photo or a document; None for the rest (stickers, audio…)."""
    kind = attachment.get("type")
    if kind == "photo":
        photo = attachment.get("photo") or {}
        url = _largest_photo(photo)
        return (f"photo-{photo.get('id', index)}.jpg", url) if url else None
    if kind == "doc":
        doc = attachment.get("doc") or {}
        title = str(doc.get("title") or f"document-{doc.get('id', index)}")
        if doc.get("ext") and not title.lower().endswith(f".{doc['ext']}".lower()):
            title = f"{title}.{doc['ext']}"
        return (title, str(doc["url"])) if doc.get("url") else None
    return None


class VkChannel:
    """The community's messages: both sides of the channel (see the module's docstring)."""

    channel = Channel.VK.value

    def __init__(self, config: VkConfig) -> None:
        self.config = config

    @classmethod
    def from_settings(cls, settings: Settings) -> VkChannel | None:
        config = VkConfig.from_settings(settings)
        return cls(config) if config is not None else None

    async def aclose(self) -> None:
        """Nothing held between calls (a client per call)."""

    # --- the Callback API's checks ----------------------------------------------------------

    def secret_matches(self, given: Any) -> bool:
        """The event's ``secret`` is ``MARKETDESK_VK_SECRET`` (no secret configured: any)."""
        if not self.config.secret:
            return True
        return isinstance(given, str) and hmac.compare_digest(
            given.encode(), self.config.secret.encode()
        )

    # --- in ---------------------------------------------------------------------------------

    async def handle_message(
        self, ctx: chat.ChatContext, event: dict[str, Any], *, data_dir: Path
    ) -> None:
        """A ``message_new`` event into its conversation. A refusal of the chat is told to
        the customer; anything else raises (no «ok»: VK sends the event again)."""
        body = event.get("object") or {}
        message = body.get("message") or body  # the object is the message before v5.103
        peer_id = int(message["peer_id"])
        if int(message.get("out", 0)) == 1 or peer_id >= CHAT_PEERS:
            return  # the community's own message; a group chat, not a customer's dialogue
        address = str(peer_id)
        text = str(message.get("text") or "")
        async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=True) as client:
            api = VkApi(self.config, client)
            files = await self._files(client, message.get("attachments") or [])
            if not text.strip() and not files:
                await self._say(api, peer_id, UNSUPPORTED, event)
                return
            message_id = int(message.get("id") or 0)
            inbound = channels.InboundMessage(
                channel=Channel.VK,
                address=address,
                external_id=f"message:{message_id}" if message_id else f"event:{event['event_id']}",
                text=text,
                display_name=await self._name(api, int(message.get("from_id") or peer_id)),
                files=files,
            )
            try:
                await channels.receive(ctx, inbound, data_dir=data_dir)
            except Unavailable:
                raise
            except ServiceError as refusal:
                await self._say(api, peer_id, refusal.message, event)

    async def _files(
        self, client: httpx.AsyncClient, attachments: list[dict[str, Any]]
    ) -> tuple[InboundFile, ...]:
        files: list[InboundFile] = []
        for index, attachment in enumerate(attachments):
            source = _attachment_source(index, attachment)
            if source is None:
                continue
            name, url = source
            response = await client.get(url)
            response.raise_for_status()
            files.append(InboundFile(name, response.content))
        return tuple(files)

    async def _name(self, api: VkApi, user_id: int) -> str | None:
        """The writer's name (``users.get``); None when VK does not say (a community)."""
        if user_id <= 0:
            return None
        try:
            [user] = await api.call("users.get", user_ids=user_id)
        except (VkApiError, httpx.HTTPError, ValueError, KeyError):
            return None
        name = f"{user.get('first_name', '')} {user.get('last_name', '')}".strip()
        return name or None

    async def _say(self, api: VkApi, peer_id: int, text: str, event: dict[str, Any]) -> None:
        """A service message of the bot (not part of a conversation); failures are logged."""
        try:
            await api.call(
                "messages.send",
                peer_id=peer_id,
                random_id=random_id(f"vk-event-{event.get('event_id')}"),
                message=text,
            )
        except (VkApiError, httpx.HTTPError) as exc:
            log.warning("vk: service message to %s not sent: %s", peer_id, exc)

    # --- out --------------------------------------------------------------------------------

    async def deliver(self, message: ChannelMessage) -> str | None:
        """Send ``message`` (its files uploaded, attached to the last piece of text). →
        the first sent message's id."""
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT) as client:
                return await self._deliver(VkApi(self.config, client), message)
        except VkApiError as exc:
            if exc.code in PERMANENT_ERRORS:
                raise DeliveryRefused(f"ВКонтакте: {exc.code} {exc.message}") from exc
            raise

    async def _deliver(self, api: VkApi, message: ChannelMessage) -> str | None:
        peer_id = int(message.address)
        attachments = [await api.attachment(peer_id, file) for file in message.attachments]
        pieces = split_text(message.text, TEXT_LIMIT) or [""]
        ids: list[str] = []
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            sent = await api.call(
                "messages.send",
                peer_id=peer_id,
                random_id=random_id(message.idempotency_key, index),
                message=piece or None,
                attachment=",".join(attachments) if last and attachments else None,
            )
            ids.append(str(sent))
        return ids[0]


class VkNotificationSender:
    """The outbox's VK adapter: a notification as the community's message (see the module's
    docstring). Its address is the customer's peer id (their VK contact)."""

    def __init__(self, config: VkConfig) -> None:
        self.config = config

    @classmethod
    def from_settings(cls, settings: Settings) -> VkNotificationSender | None:
        config = VkConfig.from_settings(settings)
        return cls(config) if config is not None else None

    async def send(self, message: OutgoingNotification) -> SendReport:
        if not message.address.isdigit() or int(message.address) >= CHAT_PEERS:
            raise NotificationRefused("ВКонтакте: адрес не пользователь ВКонтакте")
        pieces = split_text(message.body, TEXT_LIMIT)
        if not pieces:
            raise NotificationRefused("ВКонтакте: пустой текст")
        ids: list[str] = []
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT) as client:
                api = VkApi(self.config, client)
                for index, piece in enumerate(pieces):
                    sent = await api.call(
                        "messages.send",
                        peer_id=int(message.address),
                        random_id=random_id(f"notification:{message.idempotency_key}", index),
                        message=piece,
                    )
                    ids.append(str(sent))
        except VkApiError as exc:
            if exc.code in PERMANENT_ERRORS:
                raise NotificationRefused(f"ВКонтакте: {exc.code} {exc.message}") from exc
            raise
        return SendReport(provider_id=ids[0])


async def check_vk(settings: Settings) -> list[str]:
    """What is wrong with the VK settings, in Russian (empty: nothing)."""
    config = VkConfig.from_settings(settings)
    if config is None:
        return ["не задан MARKETDESK_VK_TOKEN: ВКонтакте не подключён"]
    problems: list[str] = []
    if not config.confirmation:
        problems.append(
            "не задан MARKETDESK_VK_CONFIRMATION: ВКонтакте не подтвердит адрес сервера "
            "(строка из настроек Callback API сообщества)"
        )
    if not config.secret:
        problems.append(
            "не задан MARKETDESK_VK_SECRET: запросы к /api/v1/channels/vk не проверяются — "
            "задайте секретный ключ в настройках Callback API и здесь"
        )
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            api = VkApi(config, client)
            groups = await api.call("groups.getById")
            await api.call("messages.getConversations", count=1)
    except VkApiError as exc:
        if exc.method == "messages.getConversations":
            problems.append(
                "у ключа ВКонтакте нет доступа к сообщениям сообщества "
                f"({exc.method}: {exc.code} {exc.message}): включите сообщения сообщества и "
                "право ключа «сообщения сообщества»"
            )
        else:
            problems.append(f"токен ВКонтакте не подходит ({exc.method}: {exc.code} {exc.message})")
        return problems
    except (httpx.HTTPError, ValueError) as exc:
        problems.append(f"API ВКонтакте {config.api} недоступен: {exc}")
        return problems
    found = groups.get("groups") if isinstance(groups, dict) else groups
    if not found:
        problems.append("токен ВКонтакте не принадлежит сообществу (groups.getById: пусто)")
    return problems
