"""The web chat over WebSockets: a conversation's socket and the operator's socket.

The protocol is written down in ``docs/protocol.md``: JSON text frames; an ``auth`` frame
first (the token and the last ``seq`` seen), then ``ready``, the replay in ``seq`` order and
live ``message`` / ``conversation`` / ``resync`` events; sends are acknowledged once
committed (``ack``) or refused (``error``, nothing stored); the close codes say whether to
reconnect (1013), log in again (1008) or send less (1009). A change here changes that
document in the same commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from marketdesk.bot import Bot
from marketdesk.channels.session_watch import SessionWatch
from marketdesk.domain.ids import is_record_id
from marketdesk.realtime import Broker
from marketdesk.services import auth, chat, chat_access, notifications
from marketdesk.services.chat import ChatWriter
from marketdesk.services.chat.events import conversation_channel, line_channel, operator_channel
from marketdesk.services.errors import (
    CLOSE_BAD_DATA,
    CLOSE_INTERNAL,
    CLOSE_NORMAL,
    CLOSE_POLICY,
    CLOSE_SLOW,
    CLOSE_TOO_BIG,
    AuthFrameRequired,
    BadFrame,
    ConversationNotFound,
    DatabaseUnavailableSocket,
    MessageNotStored,
    NotFound,
    ServiceError,
    StaffOnly,
)
from marketdesk.services.principals import Principal
from marketdesk.services.rate_limits import RateLimiter, SocketSlot
from marketdesk.settings import Settings
from marketdesk.store.availability import database_unavailable
from marketdesk.store.db import Database

__all__ = [
    "CLOSE_BAD_DATA",
    "CLOSE_POLICY",
    "CLOSE_SLOW",
    "WebChat",
]

log = logging.getLogger("marketdesk.webchat")

AUTH_TIMEOUT = 10.0
HEARTBEAT = 25.0
MAX_BAD_FRAMES = 20
QUEUE_SIZE = 256
MAX_IN_FLIGHT = 32  # messages of one socket being stored at once (the reader waits beyond)
MAX_REPLAY_CONVERSATIONS = 500  # conversations an operator socket may ask to catch up on
# the auth frame: a token and up to 500 "<id>": seq pairs; checked before it is parsed
MAX_AUTH_FRAME = 32 * 1024
# any later frame: a 4 000-character message, each character escaped (the server's
# MARKETDESK_WS_MAX_FRAME_BYTES refuses larger frames before they are read)
MAX_FRAME = 64 * 1024


# an error frame may echo what the client sent, a lone surrogate among it (not encodable as
# UTF-8): escaped by the standard library's encoder, it goes out as the client wrote it
_ENCODE_ASCII = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode


def encode_frame(frame: dict[str, Any]) -> str:
    """A frame as compact JSON text (orjson: about a seventh of the standard library's time
    for a message frame with its conversation, bench/README.md)."""
    try:
        return orjson.dumps(frame, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:  # a lone surrogate
        return _ENCODE_ASCII(frame)


class _Closed(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


_last_marks: set[asyncio.Task[None]] = set()
"""The customers' last presence marks under way (a reference keeps each task alive)."""


@dataclass(slots=True)
class WebChat:
    """What the sockets need: the database, the broker and the bot."""

    database: Database
    broker: Broker
    bot: Bot | None
    writer: ChatWriter | None = None
    queue_size: int = QUEUE_SIZE
    heartbeat: float = HEARTBEAT
    sessions: SessionWatch | None = None
    limiter: RateLimiter | None = None
    presence: float | None = None
    """Seconds between two marks of a customer's open socket as seen (None: not marked):
    an operator's reply they did not see is told to them (``notifications.offline``)."""
    settings: Settings | None = None  # the bot's actions on a customer's account

    _context: chat.ChatContext | None = field(default=None, init=False, repr=False)

    def context(self) -> chat.ChatContext:
        """The sends' context: made once, again only if the writer or the broker's
        ``publish`` was replaced meanwhile (the metrics wrap it)."""
        publish, ctx = self.broker.publish, self._context
        if ctx is None or ctx.publish != publish or ctx.writer is not self.writer:
            ctx = self._context = chat.ChatContext(
                bot=self.bot,
                publish=publish,
                writer=self.writer,
                database=self.database,
                settings=self.settings,
            )
        return ctx

    async def conversation_socket(self, websocket: WebSocket, conversation_id: int) -> None:
        await _Socket(self, websocket).run_conversation(conversation_id)

    async def operator_socket(self, websocket: WebSocket) -> None:
        await _Socket(self, websocket).run_operator()


def _is_id(key: object) -> bool:
    return isinstance(key, str) and key.isascii() and key.isdigit() and is_record_id(int(key))


MAX_SEQ = 2**31 - 1  # seq columns are INTEGER: a larger number cannot even be compared


def _is_seq(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_SEQ


def _error(error: ServiceError, **extra: Any) -> dict[str, Any]:
    """A refusal as a frame: the catalogue's code and message (the socket sends no details)."""
    return {"type": "error", "code": error.code, "message": error.message, **extra}


class _Socket:
    def __init__(self, chat_: WebChat, websocket: WebSocket) -> None:
        self.chat = chat_
        self.ws = websocket
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(chat_.queue_size)
        self.slow = asyncio.Event()  # set: the socket is to close (see ``ended``)
        self.ended = False  # the session behind the token ended (logout, expiry)
        self.principal: Principal | None = None
        # operator sockets: the last seq sent of each conversation (replay and gap filling)
        self.seen: dict[int, int] = {}
        self.bad_frames = 0
        self.last_seq = 0  # conversation sockets: highest seq sent (or skipped as private)
        self.conversation_id: int | None = None
        self.lines: frozenset[str] = frozenset()  # operators: the lines they serve
        # sends being stored: the last one of each conversation (the next one waits for it,
        # so a conversation's messages keep their order) and a bound on how many at once
        self.in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)
        self.sending: dict[int, asyncio.Task[None]] = {}
        self.send_tasks: set[asyncio.Task[None]] = set()
        # abuse limits: the client's address, and this socket's place in the open-socket counts
        self.ip = (
            chat_.limiter.client_ip(
                websocket.client.host if websocket.client else None,
                websocket.headers.get("x-forwarded-for"),
            )
            if chat_.limiter is not None
            else None
        )
        self.slot: SocketSlot | None = None

    # ------------------------------------------------------------------ plumbing
    def push(self, frame: dict[str, Any]) -> None:
        """Queue a frame (or an event to process) without waiting; full → slow consumer."""
        if self.slow.is_set():
            return
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.slow.set()

    def on_event(self, _channel: str, event: dict[str, Any]) -> None:
        self.push(event)

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send_text(encode_frame(frame))

    async def close(self, code: int, reason: str = "") -> None:
        if self.ws.application_state == WebSocketState.DISCONNECTED:
            return
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(code=code, reason=reason[:120]), timeout=2)

    async def receive_frame(self) -> dict[str, Any] | None:
        """The next JSON object from the client; None for a malformed frame (answered). A
        frame above the cap (the auth frame's before authentication) closes with 1009."""
        message = await self.ws.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        if message.get("bytes") is not None:
            raise _Closed(CLOSE_BAD_DATA, "binary frames are not accepted")
        raw = message.get("text") or ""
        if len(raw) > (MAX_FRAME if self.principal else MAX_AUTH_FRAME):
            raise _Closed(CLOSE_TOO_BIG, "frame too large")
        try:
            frame = json.loads(raw)
        except ValueError:
            frame = None
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self.bad_frame("Ожидается JSON-объект с полем type.")
            return None
        return frame

    async def bad_frame(self, message: str, **extra: Any) -> None:
        self.bad_frames += 1
        if self.bad_frames > MAX_BAD_FRAMES:
            raise _Closed(CLOSE_POLICY, "too many malformed frames")
        self.push(_error(BadFrame(problem=message), **extra))

    async def authenticate(self) -> Principal:
        try:
            frame = await asyncio.wait_for(self.receive_frame(), timeout=AUTH_TIMEOUT)
        except TimeoutError:
            raise _Closed(CLOSE_POLICY, "auth frame expected") from None
        if frame is None or frame.get("type") != "auth" or not isinstance(frame.get("token"), str):
            await self.send(_error(AuthFrameRequired()))
            raise _Closed(CLOSE_POLICY, "auth frame expected")
        token = frame["token"]
        last_seq = frame.get("last_seq", 0)
        if not _is_seq(last_seq):
            await self.send(_error(BadFrame(problem=f"last_seq — целое число от 0 до {MAX_SEQ}.")))
            raise _Closed(CLOSE_POLICY, "bad last_seq")
        self.last_seq = last_seq
        seen = frame.get("last_seqs", {})
        if (
            not isinstance(seen, dict)
            or len(seen) > MAX_REPLAY_CONVERSATIONS
            or not all(_is_id(key) and _is_seq(value) for key, value in seen.items())
        ):
            await self.send(
                _error(
                    BadFrame(
                        problem='last_seqs — объект {"<id диалога>": последний seq}, '
                        f"не больше {MAX_REPLAY_CONVERSATIONS} диалогов."
                    )
                )
            )
            raise _Closed(CLOSE_POLICY, "bad last_seqs")
        self.seen = {int(key): int(value) for key, value in seen.items()}
        if len(token) > 512:
            token = ""
        try:
            async with self.chat.database.sessions() as session:
                principal = await auth.authenticate(session, token)
            if self.chat.limiter is not None:  # too many open sockets: refused
                self.slot = await self.chat.limiter.open_socket(principal, self.ip)
        except ServiceError as exc:
            await self.send(_error(exc))
            reason = (
                "too many open sockets" if exc.code == "rate_limited" else "authentication failed"
            )
            raise _Closed(CLOSE_POLICY, reason) from None
        return principal

    async def _pump(self, handle: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        while True:
            item = await self.queue.get()
            await handle(item)

    async def _heartbeat(self) -> None:
        # a random phase: sockets opened together do not all ping in the same instant
        await asyncio.sleep(self.chat.heartbeat * random.uniform(0.5, 1.0))  # noqa: S311
        while True:
            self.push({"type": "ping"})
            await asyncio.sleep(self.chat.heartbeat)

    def _end_session(self) -> None:
        self.ended = True
        self.slow.set()

    def _watch_session(self) -> Callable[[], None]:
        """Have the process's session watch end this socket with its session."""
        assert self.principal is not None
        if self.chat.sessions is None or self.principal.session_id is None:
            return lambda: None
        return self.chat.sessions.watch(self.principal.session_id, self._end_session)

    async def _serve(
        self,
        reader: Callable[[], Coroutine[Any, Any, None]],
        writer: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        tasks = [
            asyncio.create_task(reader()),
            asyncio.create_task(self._pump(writer)),
            asyncio.create_task(self._heartbeat()),
            asyncio.create_task(self.slow.wait()),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            # sends under way finish (the writer stores them either way); their acks have
            # nowhere to go, and a client that missed one retries with the same client_msg_id
            if self.send_tasks:
                await asyncio.wait(list(self.send_tasks), timeout=5)
        if self.ended:
            raise _Closed(CLOSE_POLICY, "session ended: log in again")
        if self.slow.is_set():
            log.warning(
                "closing a slow socket (%s %s): its send queue of %d is full",
                self.principal.kind if self.principal else "?",
                self.principal.id if self.principal else "?",
                self.queue.maxsize,
            )
            raise _Closed(CLOSE_SLOW, "too slow: reconnect with last_seq")
        for task in done:
            exc = task.exception()
            if exc is not None:
                raise exc

    async def _guard(self, body: Callable[[], Awaitable[None]]) -> None:
        await self.ws.accept()
        try:
            await body()
        except _Closed as closed:
            await self.close(closed.code, closed.reason)
        except WebSocketDisconnect:
            pass
        except Exception as exc:
            if not database_unavailable(exc):
                log.exception("websocket failed")
                await self.close(CLOSE_INTERNAL, "internal error")
                return
            log.warning("websocket: database unavailable (%s)", exc)  # try again later
            with contextlib.suppress(Exception):
                await self.send(_error(DatabaseUnavailableSocket()))
            await self.close(CLOSE_SLOW, "database unavailable: reconnect later")
        else:
            await self.close(CLOSE_NORMAL)
        finally:
            if self.slot is not None:
                await self.slot.release()

    # ------------------------------------------------------------------ a conversation
    async def run_conversation(self, conversation_id: int) -> None:
        await self._guard(lambda: self._conversation(conversation_id))

    async def _conversation(self, conversation_id: int) -> None:
        principal = self.principal = await self.authenticate()
        try:
            async with self.chat.database.sessions() as session:
                view = await chat.get_conversation(session, principal, conversation_id)
                if principal.is_operator:
                    self.lines = await chat_access.operator_lines(session, principal.id)
        except ServiceError as exc:
            await self.send(_error(exc))
            raise _Closed(CLOSE_POLICY, exc.code) from None
        self.conversation_id = conversation_id
        channels = [conversation_channel(conversation_id)]
        if principal.kind == "customer":  # the notification centre's live items
            channels.append(notifications.customer_channel(int(principal.id)))
        subscription = self.chat.broker.subscribe(channels, self.on_event)
        unwatch = self._watch_session()
        presence = self._presence() if principal.kind == "customer" else None
        try:
            await subscription.ready()  # before the replay: nothing falls between the two
            await self.send({"type": "ready", "conversation": self._conversation_json(view)})
            self.push({"type": "resync"})  # the replay, then live events in order
            await self._serve(self._conversation_reader, self._conversation_writer)
        finally:
            unwatch()
            subscription.close()
            if presence is not None:
                presence.cancel()
                # what it showed until now was seen; written even when the socket's task
                # is being cancelled (a closing server, a test client)
                last = asyncio.create_task(self._mark_seen())
                _last_marks.add(last)
                last.add_done_callback(_last_marks.discard)
                await asyncio.shield(last)

    def _presence(self) -> asyncio.Task[None] | None:
        """Mark the customer seen now and every ``presence`` seconds while the socket is open."""
        interval = self.chat.presence
        if interval is None:
            return None

        async def marking() -> None:
            while True:
                await self._mark_seen()
                await asyncio.sleep(interval)

        return asyncio.create_task(marking())

    async def _mark_seen(self) -> None:
        if self.chat.presence is None or self.principal is None:
            return
        try:
            async with self.chat.database.sessions() as session:
                await notifications.customer_seen(session, int(self.principal.id))
        except Exception as exc:  # a mark missed: at worst a reply is told by e-mail
            log.warning("customer presence not recorded: %s", type(exc).__name__)

    def _conversation_json(self, view: chat.ConversationView | dict[str, Any]) -> dict[str, Any]:
        if isinstance(view, dict):
            view = chat.ConversationView.model_validate(view)
        assert self.principal is not None
        if self.principal.is_operator:
            return view.model_dump(mode="json")
        return chat.public_view(view)

    async def _fill(self) -> None:
        """Send what the database has after ``last_seq``."""
        assert self.conversation_id is not None
        try:
            self.last_seq = await self._send_missed(self.conversation_id, self.last_seq)
        except NotFound:  # no longer the caller's to read (it moved to another line)
            await self._lost()

    async def _lost(self) -> None:
        """The conversation is out of the caller's reach: the answer a missing one gets."""
        cid = self.conversation_id
        await self.send(_error(ConversationNotFound(conversation_id=cid)))
        raise _Closed(CLOSE_POLICY, "conversation_not_found")

    async def _send_missed(self, conversation_id: int, after_seq: int) -> int:
        """Send a conversation's messages after ``after_seq`` (what the caller may see), page
        by page until none is left; the highest seq looked at."""
        assert self.principal is not None
        while True:
            async with self.chat.database.sessions() as session:
                messages, last = await chat.replay(
                    session, self.principal, conversation_id, after_seq=after_seq
                )
            for message in messages:
                await self.send({"type": "message", "message": message.model_dump(mode="json")})
            if last == after_seq:
                return last
            after_seq = last

    async def _conversation_writer(self, item: dict[str, Any]) -> None:
        kind = item.get("type")
        if kind == "message":
            message = item["message"]
            seq = int(message["seq"])
            if seq <= self.last_seq:
                return
            if seq > self.last_seq + 1:
                await self._fill()
                if seq <= self.last_seq:
                    return
            assert self.principal is not None
            if message.get("sender_kind") == "system" and not await self._may_see(item):
                await self._lost()  # e.g. «передан на линию …»: it left this operator's reach
            if self.principal.is_operator or not message.get("private"):
                await self.send({"type": "message", "message": message})
            self.last_seq = seq
        elif kind == "conversation":
            if not await self._may_see(item):  # it moved out of this operator's reach
                await self._lost()
            await self.send(
                {
                    "type": "conversation",
                    "conversation": self._conversation_json(item["conversation"]),
                }
            )
        elif kind == "resync":
            await self._fill()
        else:
            await self.send(item)

    async def _read_frames(self, on_message: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        """The reader loop of both sockets: heartbeats answered here, a ``message`` frame to
        ``on_message``, anything else counted as a bad frame."""
        while True:
            frame = await self.receive_frame()
            if frame is None:
                continue
            kind = frame["type"]
            if kind == "ping":
                self.push({"type": "pong"})
            elif kind == "pong":
                continue  # the answer to our heartbeat
            elif kind == "message":
                await on_message(frame)
            else:
                await self.bad_frame("Неизвестный тип сообщения.", frame_type=str(kind)[:32])

    async def _conversation_reader(self) -> None:
        await self._read_frames(self._conversation_message)

    async def _conversation_message(self, frame: dict[str, Any]) -> None:
        assert self.conversation_id is not None
        await self._dispatch(self.conversation_id, frame)

    async def _dispatch(self, conversation_id: int, frame: dict[str, Any]) -> None:
        """Store a message without holding up the reader: messages to different
        conversations are stored side by side (an operator answers many customers), those
        of one conversation one after another, in the order they came."""
        client_msg_id = frame.get("client_msg_id")
        text = frame.get("text")
        private = frame.get("private", False)
        if not isinstance(client_msg_id, str) or not isinstance(text, str):
            await self.bad_frame(
                "Нужны строковые поля client_msg_id и text.",
                client_msg_id=client_msg_id if isinstance(client_msg_id, str) else None,
            )
            return
        if not isinstance(private, bool):
            await self.bad_frame("private — true или false.", client_msg_id=client_msg_id)
            return
        await self.in_flight.acquire()
        previous = self.sending.get(conversation_id)
        task = asyncio.create_task(
            self._send_after(previous, conversation_id, client_msg_id, text, private)
        )
        self.sending[conversation_id] = task
        self.send_tasks.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self.in_flight.release()
            self.send_tasks.discard(finished)
            if self.sending.get(conversation_id) is finished:
                del self.sending[conversation_id]

        task.add_done_callback(done)

    async def _send_after(
        self,
        previous: asyncio.Task[None] | None,
        conversation_id: int,
        client_msg_id: str,
        text: str,
        private: bool,
    ) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        try:
            await self._store(conversation_id, client_msg_id, text, private)
        except Exception:
            log.exception("storing a message failed")
            self.push(_error(MessageNotStored(), client_msg_id=client_msg_id))

    async def _store(
        self, conversation_id: int, client_msg_id: str, text: str, private: bool
    ) -> None:
        assert self.principal is not None
        try:
            if self.chat.limiter is not None:
                await self.chat.limiter.check("messages", principal=self.principal, ip=self.ip)
            message = chat.OutgoingMessage(
                conversation_id=conversation_id,
                client_msg_id=client_msg_id,
                text=text,
                private=private,
            )
            result = await chat.send(self.chat.context(), self.principal, message)
        except ServiceError as exc:
            self.push(_error(exc, client_msg_id=client_msg_id))
            return
        self.push(
            {
                "type": "ack",
                "client_msg_id": client_msg_id,
                "conversation_id": conversation_id,
                "id": result.message.id,
                "seq": result.message.seq,
                "duplicate": result.duplicate,
            }
        )

    # ------------------------------------------------------------------ an operator
    async def run_operator(self) -> None:
        await self._guard(self._operator)

    async def _operator(self) -> None:
        principal = self.principal = await self.authenticate()
        if not principal.is_operator:
            await self.send(_error(StaffOnly()))
            raise _Closed(CLOSE_POLICY, "operators only")
        async with self.chat.database.sessions() as session:
            self.lines = await chat_access.operator_lines(session, principal.id)
            lines = chat_access.watched_lines(principal, self.lines)
            mine = await chat.list_operator_conversations(session, principal)
        channels = [operator_channel(int(principal.id))] + [line_channel(ln) for ln in lines]
        subscription = self.chat.broker.subscribe(channels, self.on_event)
        unwatch = self._watch_session()
        try:
            await subscription.ready()  # before the replay: nothing falls between the two
            await self.send(
                {
                    "type": "ready",
                    "operator_id": principal.id,
                    "lines": lines,
                    "conversations": [v.model_dump(mode="json") for v in mine],
                }
            )
            self.push({"type": "_replay"})  # what was missed, then live events in order
            await self._serve(self._operator_reader, self._operator_writer)
        finally:
            unwatch()
            subscription.close()

    async def _operator_writer(self, item: dict[str, Any]) -> None:
        """Each conversation's messages once and in order: what the operator missed while
        away (``last_seqs`` of the auth frame), then live events, a gap filled from the
        database."""
        kind = item.get("type")
        if kind == "message":
            message, conversation = item["message"], item.get("conversation")
            cid, seq = int(message["conversation_id"]), int(message["seq"])
            last = self.seen.get(cid)
            if last is not None and seq > last + 1:
                await self._catch_up(cid)
                last = self.seen[cid]
            if last is not None and seq <= last:  # sent before (a replay): its change is not
                if conversation is not None:
                    await self.send({"type": "conversation", "conversation": conversation})
                return
            frame = {"type": "message", "message": message}
            if conversation is not None:  # a clock it started or stopped (docs/protocol.md)
                frame["conversation"] = conversation
            await self.send(frame)
            self.seen[cid] = seq
        elif kind == "conversation" and not await self._may_see(item):
            # it left this operator's lines: the lists are read again, nothing of it is sent
            await self.send({"type": "resync"})
        elif kind in ("_replay", "resync"):
            for cid in list(self.seen):
                await self._catch_up(cid)
            if kind == "resync":  # live events may have been lost: lists are read again too
                await self.send(item)
        else:
            await self.send(item)

    async def _may_see(self, event: dict[str, Any]) -> bool:
        """Whether the operator may still read the conversation of a live ``conversation``
        event (``services.chat_access``): customers' sockets and the usual cases need no
        query; a conversation that moved to another line is checked in the database."""
        principal = self.principal
        assert principal is not None
        if not principal.is_operator:
            return True
        view = event.get("conversation") or {}
        me = int(principal.id)
        if (
            chat_access.is_supervisor(principal)
            or view.get("assigned_operator_id") == me
            or event.get("previous_operator_id") == me
            or view.get("line") in self.lines
        ):
            return True
        async with self.chat.database.sessions() as session:
            return await chat_access.may_read_id(
                session, principal, int(event["conversation_id"]), lines=self.lines
            )

    async def _catch_up(self, conversation_id: int) -> None:
        try:
            self.seen[conversation_id] = await self._send_missed(
                conversation_id, self.seen[conversation_id]
            )
        except ServiceError as exc:
            del self.seen[conversation_id]
            await self.send(_error(exc, conversation_id=conversation_id))

    async def _operator_reader(self) -> None:
        await self._read_frames(self._operator_message)

    async def _operator_message(self, frame: dict[str, Any]) -> None:
        conversation_id = frame.get("conversation_id")
        if not isinstance(conversation_id, int) or not _is_id(str(conversation_id)):
            await self.bad_frame("Нужно целое поле conversation_id.")
            return
        await self._dispatch(conversation_id, frame)
