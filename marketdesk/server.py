"""The one place that wires the application: the server's parts (database, bot, broker,
chat writer, rate limiter, the sockets' session watch, the notification adapters), the background
workers started with it, and the HTTP and WebSocket routes. ``marketdesk serve`` runs
``marketdesk.server:create_app``; the tests build their application here too.

Only this module and ``cli.py`` sit above the layers (``[tool.importlinter]`` in
pyproject.toml): the routers (``api``), the channels' adapters (``channels``) and the
workers (``workers``) do not import one another."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import FastAPI

from marketdesk.api.app import create_api
from marketdesk.bot import Bot
from marketdesk.bot.phishing import configure_senders
from marketdesk.channels import telegram_routes, vk_routes, webchat_routes
from marketdesk.channels.centre import CentreSender
from marketdesk.channels.mail import imap_inbox, open_receiver
from marketdesk.channels.senders import channel_senders, notification_senders
from marketdesk.channels.session_watch import SessionWatch
from marketdesk.channels.telegram_config import telegram_of
from marketdesk.connection_balance import process_shares
from marketdesk.observability.metrics import Metrics
from marketdesk.realtime import create_broker
from marketdesk.services import task_live
from marketdesk.services.channels import DeliveryPolicy
from marketdesk.services.chat import (
    ChatContext,
    ChatWriter,
    configure_sla,
    set_default_publisher,
)
from marketdesk.services.content.articles import restore_kb_edits
from marketdesk.services.content.templates import TemplatePlace
from marketdesk.services.notifications import NotifyPolicy, on_raised
from marketdesk.services.rate_limits import RateLimiter
from marketdesk.services.webhooks import (
    WebhookPolicy,
    configure_subscriptions_cache,
    on_emitted,
)
from marketdesk.settings import Settings
from marketdesk.store.db import Database
from marketdesk.store.file_locks import LockStats
from marketdesk.store.leases import lease_for
from marketdesk.store.transactions import sqlite_write_lock
from marketdesk.workers.background import start_loops
from marketdesk.workers.board import run_board_push
from marketdesk.workers.calendar import run_calendar_refresh
from marketdesk.workers.channels import ChannelDeliveryWorker
from marketdesk.workers.cleanup import run_cleanup
from marketdesk.workers.kb_watch import watch_kb
from marketdesk.workers.leadership import LoopFactory, run_while_leader
from marketdesk.workers.mail import run_mailbox
from marketdesk.workers.notifications import NotificationWorker
from marketdesk.workers.ratings import run_rating_reminders
from marketdesk.workers.reports import run_reports
from marketdesk.workers.sla import run_chat_sla_timer, run_sla_timer
from marketdesk.workers.stopping import stop_tasks
from marketdesk.workers.telegram import OFFSET_FILE, OffsetFile, run_telegram_polling
from marketdesk.workers.webhooks import WebhookWorker

__all__ = ["GC_THRESHOLDS", "create_app"]

GC_THRESHOLDS = (50_000, 50, 100)
"""The collector's thresholds in a running server. With the default (700, 10, 10) a server
holding a thousand open chats ran a full collection every few seconds, each a pause of
60–240 ms (every socket keeps tasks and coroutines alive, all of them traversed); measured
with bench/chat.py. Here the young generation is collected every 50 000 allocations (most
objects die by reference counting long before) and a full pass comes after 100 collections
of the middle one: minutes apart under load, never when idle."""


def _start_workers(app: FastAPI, settings: Settings) -> list[asyncio.Task[None]]:
    """The background loops of a server process (``marketdesk.workers``), each named (a loop
    that does not stop at shutdown is named in the log). Those that must run once across
    processes run under the leader lease (``workers.leadership``); the outbox deliveries run
    in every process (each row claimed by one), and every process watches its own index."""
    state = app.state
    everywhere: dict[str, Coroutine[Any, Any, None]] = {
        "kb-watch": watch_kb(
            state.bot, settings.ensure_data_dir(), interval=settings.kb_watch_interval_seconds
        ),
        "notifications": state.notification_worker.run(),
        "channel-deliveries": state.channel_worker.run(),
        "webhooks": state.webhook_worker.run(),
        # every process keeps its own copy of the business-hours calendar fresh
        "calendar": run_calendar_refresh(state.database),
        "board-push": run_board_push(
            state.database,
            state.broker,
            interval=settings.board_push_seconds,
            warning=timedelta(minutes=settings.board_sla_warning_minutes),
        ),
    }
    if state.metrics.shared:  # serve --workers N: what /metrics reads, for the others
        everywhere["metrics"] = state.metrics.write_readings(settings.metrics_refresh_seconds)
    leader = run_while_leader(
        lease_for(state.database.engine),
        _singleton_loops(app, settings),
        retry=settings.leader_retry_seconds,
    )
    # SQLite calls of background loops run off the event loop's thread (workers/background)
    return start_loops({**everywhere, "leader": leader})


def _singleton_loops(app: FastAPI, settings: Settings) -> dict[str, LoopFactory]:
    """The loops that run in one process at a time (the lease holder's)."""
    state = app.state
    loops: dict[str, LoopFactory] = {
        "sla-tasks": lambda: run_sla_timer(
            state.database,
            interval=settings.sla_interval_seconds,
            publish=state.broker.publish,
            on_escalated=state.metrics.tasks_escalated,
        ),
        "sla-chats": lambda: run_chat_sla_timer(
            state.database,
            state.broker.publish,
            interval=settings.sla_chat_interval_seconds,
            on_breached=state.metrics.chat_sla_breached,
        ),
        "cleanup": lambda: run_cleanup(state.database, settings),
        "rating-reminders": lambda: run_rating_reminders(
            state.database,
            delay_hours=settings.rating_reminder_hours,
            interval=settings.rating_reminder_interval_seconds,
        ),
        "reports": lambda: run_reports(state.database, settings),
    }
    mailbox = imap_inbox(settings, _chat_context(app))
    if mailbox is not None:  # MARKETDESK_IMAP_URL
        loops["mailbox"] = lambda: run_mailbox(mailbox, interval=settings.imap_poll_seconds)
    polling = _telegram_polling(app, settings)
    if polling is not None:
        loops["telegram-polling"] = polling
    return loops


def _telegram_polling(app: FastAPI, settings: Settings) -> LoopFactory | None:
    """Telegram's ``getUpdates`` loop, when the bot is configured for long polling
    (``MARKETDESK_TELEGRAM_MODE=polling``)."""
    telegram = telegram_of(app.state.channel_senders)
    if telegram is None or telegram.config.mode != "polling":
        return None
    ctx = _chat_context(app)
    data_dir = settings.ensure_data_dir()

    async def handle(update: Any) -> None:
        await telegram.handle_update(ctx, update, data_dir=data_dir)

    return lambda: run_telegram_polling(telegram, handle, OffsetFile(data_dir / OFFSET_FILE))


def _chat_context(app: FastAPI) -> ChatContext:
    """What the channels' inbound sides store through: the server's bot, broker, database."""
    state = app.state
    return ChatContext(
        bot=state.bot,
        publish=state.broker.publish,
        database=state.database,
        settings=state.settings,
    )


def _read_at_scrape(app: FastAPI, metrics: Metrics) -> None:
    """What /metrics reads when scraped: the database pool, the chat writer's counters, the
    SQLite write lock's use, the Redis broker's channels."""
    state = app.state
    metrics.read_pool(lambda: state.database.engine.pool)
    metrics.read_writer_stats(lambda: getattr(getattr(state, "chat_writer", None), "stats", None))
    metrics.read_write_lock_stats(lambda: _write_lock_stats(state.database))
    metrics.read_broker(lambda: getattr(state, "broker", None))


def _write_lock_stats(database: Database) -> LockStats | None:
    lock = sqlite_write_lock(database.engine)
    return None if lock is None else lock.stats


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """Build the application. A database given here is shared and not disposed on shutdown."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = database is None
        app.state.database = database or Database(
            settings.async_database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            ping_after_idle=settings.db_ping_after_idle_seconds,
            # SQLite: checkpoints and syncs not in the writers' commits (store.wal)
            background_checkpoints=True,
            grouped_syncs=True,
        )
        app.state.bot = Bot.from_directory(
            settings.kb_dir,
            overlay_dir=await restore_kb_edits(
                app.state.database,
                settings.kb_edits_dir(),
                TemplatePlace(settings.notify_templates_dir, settings.notify_templates_overlay()),
            ),
        )
        # the official senders: the notifications' and the phishing check's one list
        configure_senders(settings.official_sender_list())
        # the dictionaries and the index live as long as the process: keep them out of the
        # collector's full passes, which would otherwise pause requests for milliseconds
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        app.state.broker = create_broker(settings.redis_url, settings.async_database_url)
        await app.state.broker.start()
        metrics: Metrics = app.state.metrics
        # before anyone takes the broker's publish: every stored message is counted
        metrics.count_publications(app.state.broker)
        # the live events of writes that have no chat context of their own (a task's note
        # in a conversation, a visitor's conversations moving to the customer) go here too
        set_default_publisher(app.state.database.sessions, app.state.broker.publish)
        # the chat's SLA targets (MARKETDESK_SLA_*), or no clocks at all
        configure_sla(settings.chat_sla_policy(), clocks_run=settings.sla_clocks)
        app.state.chat_writer = ChatWriter(app.state.database, observer=metrics.observe_batch)
        # PostgreSQL: the writer's memory of conversations' states follows their changes, this
        # process's and (through Redis) the others'
        writer_watch = app.state.broker.subscribe(
            app.state.chat_writer.watched_channels(), app.state.chat_writer.observe
        )
        await writer_watch.ready()  # before the writer's first read of a conversation's state
        _read_at_scrape(app, metrics)
        app.state.rate_limiter = RateLimiter.from_settings(settings)
        app.state.session_watch = SessionWatch(
            app.state.database, interval=settings.socket_reauth_seconds, broker=app.state.broker
        )
        await app.state.session_watch.start()
        if "center" in NotifyPolicy.from_settings(settings).channels:
            # the centre publishes on the broker: the adapter exists once the broker does
            app.state.notification_senders.setdefault(
                "center", CentreSender(app.state.broker.publish)
            )
        app.state.notification_worker = NotificationWorker(
            app.state.database,
            app.state.notification_senders,
            secret=settings.hashing_secret(),
            policy=NotifyPolicy.from_settings(settings),
            interval=settings.sms_retry_seconds,
        )
        app.state.channel_worker = ChannelDeliveryWorker(
            app.state.database,
            app.state.channel_senders,
            publish=app.state.broker.publish,
            policy=DeliveryPolicy.from_settings(settings),
            interval=settings.channel_poll_seconds,
        )
        configure_subscriptions_cache(cache_seconds=settings.webhook_subscriptions_cache_seconds)
        task_live.configure(cache_seconds=settings.principal_cache_seconds)
        app.state.webhook_worker = WebhookWorker(
            app.state.database,
            policy=WebhookPolicy.from_settings(settings),
            interval=settings.webhook_poll_seconds,
            post=getattr(app.state, "webhook_post", None),  # tests may put one here
        )
        # a notification raised in this process is delivered at once, not at the next tick
        stop_waking = on_raised(app.state.notification_worker.wake)
        stop_waking_webhooks = on_emitted(app.state.webhook_worker.wake)
        workers = _start_workers(app, settings)
        # several processes: this one counted among the node's connections from the start
        # (marketdesk.connection_balance), so that the others know it can take some
        shares = process_shares()
        mail_receiver = None
        try:
            # MARKETDESK_SMTP_LISTEN: marketdesk's own SMTP receiver
            mail_receiver = await open_receiver(settings, _chat_context(app))
            yield
        finally:
            if mail_receiver is not None:
                mail_receiver.close()
                await mail_receiver.wait_closed()
            stop_waking()
            stop_waking_webhooks()
            await stop_tasks(workers)
            await app.state.session_watch.aclose()
            writer_watch.close()
            await app.state.chat_writer.aclose()
            await app.state.broker.stop()
            await app.state.rate_limiter.aclose()
            for sender in app.state.channel_senders.values():
                closing = getattr(sender, "aclose", None)
                if closing is not None:
                    await closing()
            if owned:
                await app.state.database.dispose()
            metrics.close()  # several processes: its live gauges leave the node's sums
            if shares is not None:
                shares.close()

    app = create_api(
        settings,
        lifespan=lifespan,
        channel_routers=[webchat_routes.router, telegram_routes.router, vk_routes.router],
    )
    # the adapters (tests may put others here before the start)
    app.state.notification_senders = notification_senders(settings)
    app.state.channel_senders = channel_senders(settings)
    return app
