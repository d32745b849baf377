"""The ``marketdesk`` command: local administration, like Django's manage.py."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from marketdesk import __version__
from marketdesk.domain.ids import MAX_ID
from marketdesk.settings import Settings

T = TypeVar("T")


def _settings(data_dir: Path | None = None) -> Settings:
    overrides: dict[str, Any] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    settings = Settings(**overrides)
    settings.ensure_data_dir()
    return settings


def _run(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``work(database)`` on a fresh engine and dispose of it afterwards."""
    from marketdesk.store.db import Database

    async def main() -> T:
        database = Database(settings.async_database_url)
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(main())


def _fail(message: str) -> NoReturn:
    click.secho(message, fg="red", err=True)
    sys.exit(1)


data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Каталог данных (по умолчанию MARKETDESK_DATA_DIR или ./data).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="marketdesk")
def main() -> None:
    """marketdesk — платформа поддержки покупателей маркетплейса."""


async def _migrate(database: Any) -> None:
    from marketdesk.store.migrate import upgrade

    await upgrade(database)


async def _prepare(database: Any, settings: Settings) -> None:
    """Migrate; on the first start of a demo data dir, load the demo data and say how to log in."""
    from sqlalchemy.exc import IntegrityError

    from marketdesk.services.demo import load_demo

    await _migrate(database)
    if not settings.demo:
        return
    async with database.sessions() as session:
        try:
            result = await load_demo(session, password=settings.demo_password)
        except IntegrityError:  # another process loaded it at the same moment
            return
    if result.loaded and settings.demo_history_days:
        await _load_history(database, settings)
    if result.loaded:
        click.secho("Загружены демо-данные из материалов контакт-центра.", fg="green")
        click.echo("Демо-операторы: " + ", ".join(result.operator_logins))
        if result.password:
            click.secho(
                f"Пароль демо-операторов (показан один раз): {result.password}", fg="yellow"
            )
        else:
            click.echo("Пароль демо-операторов: значение MARKETDESK_DEMO_PASSWORD.")


async def _load_history(database: Any, settings: Settings) -> None:
    """The demo's generated history for the reports (the reports worker materialises it)."""
    from marketdesk.services.demo_history import generate_history

    async with database.sessions() as session:
        await generate_history(
            session, days=settings.demo_history_days, per_day=settings.demo_history_per_day
        )


def _sqlite_file(settings: Settings) -> bool:
    """Whether the SQLite database is a file (several processes can share it)."""
    from sqlalchemy.engine import make_url

    from marketdesk.store.file_locks import sqlite_file

    return sqlite_file(make_url(settings.async_database_url).database) is not None


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@data_dir_option
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
def serve(host: str, port: int, data_dir: Path | None, workers: int) -> None:
    """Применить миграции, при первом запуске загрузить демо-данные и запустить сервер."""
    import functools
    import os
    from typing import cast

    import uvicorn

    from marketdesk import connection_balance
    from marketdesk.api.limits import HeaderTimeoutProtocol
    from marketdesk.listening import reuse_port_supported
    from marketdesk.observability.logs import logging_config

    settings = _settings(data_dir)
    if workers > 1 and settings.is_sqlite and not _sqlite_file(settings):
        _fail(
            "Несколько процессов сервера (--workers больше 1) не могут работать с базой SQLite "
            "в памяти: у каждого процесса была бы своя. Укажите файл базы данных "
            "или запустите сервер с --workers 1."
        )
    if workers > 1 and not settings.redis_url:
        _fail(
            "Несколько процессов сервера (--workers больше 1) обмениваются событиями чата "
            "через Redis: укажите MARKETDESK_REDIS_URL=redis://… или запустите сервер "
            "с --workers 1."
        )
    _run(settings, lambda db: _prepare(db, settings))
    os.environ["MARKETDESK_DATA_DIR"] = str(settings.data_dir)
    click.echo(f"marketdesk {__version__}: http://{host}:{port}  (данные: {settings.data_dir})")
    click.echo(f"Консоль оператора: http://{host}:{port}/console  (чат покупателя: /, API: /docs)")
    options: dict[str, Any] = dict(
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
        # JSON (or text) lines with the request id, personal data masked; the access log
        # is the application's own (route templates, no paths or query strings)
        log_config=logging_config(settings.log_format, settings.log_level),
        access_log=False,
        proxy_headers=False,
        # frames above this are refused by the protocol before they are buffered
        ws_max_size=settings.ws_max_frame_bytes,
        # a deadline for request headers (slowloris); a partial pickles for the workers
        http=cast(
            type[asyncio.Protocol],
            functools.partial(
                HeaderTimeoutProtocol, header_timeout=settings.header_timeout_seconds
            ),
        ),
    )
    from marketdesk.observability.multiprocess import (
        DIRECTORY_ENV,
        prepare_directory,
        remove_directory,
    )

    if workers == 1 and not os.environ.get(DIRECTORY_ENV):
        uvicorn.run("marketdesk.server:create_app", **options)
        return
    # /metrics of any worker reports them all: their values in files they share
    # (marketdesk.observability.multiprocess), made before they start
    metrics_directory, owned = prepare_directory()
    try:
        if reuse_port_supported():
            # the processes' kept-alive connections evened out (marketdesk.connection_balance)
            connections = connection_balance.prepare_directory() if workers > 1 else None
            try:
                config = uvicorn.Config("marketdesk.server:create_app", **options)
                _serve_processes(config, host, port)
            finally:
                if connections is not None:
                    connection_balance.remove_directory(connections)
        else:
            uvicorn.run("marketdesk.server:create_app", **options)
    finally:
        remove_directory(metrics_directory, owned)


def _serve_processes(config: Any, host: str, port: int) -> None:
    """uvicorn's supervisor with its ``config.workers`` processes, each listening on a socket
    of its own (``marketdesk.listening``): the kernel spreads the connections over them."""
    import errno

    from uvicorn.supervisors import Multiprocess

    from marketdesk.listening import bind_reuse_port

    try:
        sock = bind_reuse_port(host, port)
    except OSError as error:
        why = (
            "его уже слушает другая программа"
            if error.errno == errno.EADDRINUSE
            else error.strerror or str(error)
        )
        _fail(f"Не удалось занять адрес {host}:{port}: {why}.")
    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=[sock]).run()


@main.group()
def db() -> None:
    """База данных."""


@db.command("upgrade")
@data_dir_option
def db_upgrade(data_dir: Path | None) -> None:
    """Применить миграции до последней версии."""
    settings = _settings(data_dir)
    _run(settings, _migrate)
    click.echo("База данных обновлена до последней версии.")


@main.group()
def demo() -> None:
    """Демо-данные."""


@demo.command("load")
@data_dir_option
@click.option(
    "--scale",
    type=click.IntRange(0, 10_000_000),
    default=0,
    help="Добавить N сгенерированных покупателей с заказами, товары и новости.",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Зерно генератора.")
def demo_load(data_dir: Path | None, scale: int, seed: int) -> None:
    """Загрузить демо-данные из материалов (и, с --scale, объём для бенчмарков)."""
    settings = _settings(data_dir)

    async def work(database: Any) -> None:
        from tqdm import tqdm

        from marketdesk.services.demo_scale import generate, progress_total

        await _prepare(database, settings.model_copy(update={"demo": True}))
        if scale:
            with tqdm(total=progress_total(scale), unit=" записей", desc="Генерация") as bar:
                async with database.sessions() as session:
                    result = await generate(session, scale, seed=seed, progress=bar.update)
            click.echo(
                f"Добавлено: покупателей {result.customers}, заказов {result.orders}, "
                f"товаров {result.products}, строк остатков {result.stock_rows}, "
                f"новостей {result.news}."
            )

    _run(settings, work)


@main.command()
@data_dir_option
@click.option("--operator", "operator_login", help="Логин оператора.")
@click.option("--customer", "customer_id", type=click.IntRange(1, MAX_ID), help="ID покупателя.")
@click.option("--hours", type=click.IntRange(1, 24 * 365), default=12, show_default=True)
def token(
    data_dir: Path | None, operator_login: str | None, customer_id: int | None, hours: int
) -> None:
    """Выпустить bearer-токен оператора или покупателя (для скриптов и тестов)."""
    from marketdesk.services import auth
    from marketdesk.services.errors import ServiceError

    if (operator_login is None) == (customer_id is None):
        _fail("Укажите ровно одно: --operator LOGIN или --customer ID.")
    settings = _settings(data_dir)
    ttl = timedelta(hours=hours)

    async def work(database: Any) -> str:
        async with database.sessions() as session:
            if operator_login is not None:
                return await auth.token_for_operator(session, operator_login, ttl=ttl)
            assert customer_id is not None
            return await auth.token_for_customer(session, customer_id, ttl=ttl)

    try:
        click.echo(_run(settings, work))
    except ServiceError as exc:
        _fail(exc.message)


@main.group()
def operator() -> None:
    """Учётные записи операторов."""


@operator.command("password")
@data_dir_option
@click.argument("login")
@click.password_option("--password", prompt="Новый пароль")
def operator_password(data_dir: Path | None, login: str, password: str) -> None:
    """Задать оператору новый пароль."""
    from sqlalchemy import select

    from marketdesk.services.auth import hash_password
    from marketdesk.store.models import Operator

    settings = _settings(data_dir)

    async def work(database: Any) -> bool:
        async with database.sessions() as session:
            row = await session.scalar(select(Operator).where(Operator.login == login))
            if row is None:
                return False
            row.password_hash = hash_password(password)
            await session.commit()
            return True

    if not _run(settings, work):
        _fail(f"Оператор с логином «{login}» не найден.")
    click.echo("Пароль изменён.")


@main.group()
def certificate() -> None:
    """Подарочные сертификаты."""


@certificate.command("issue")
@data_dir_option
@click.option(
    "--nominal",
    type=click.IntRange(1, 10_000_000),
    required=True,
    help="Номинал в рублях (один из номиналов сертификата).",
)
@click.option(
    "--kind", type=click.Choice(["electronic", "plastic"]), default="electronic", show_default=True
)
@click.option(
    "--expires-days",
    type=click.IntRange(1, 36500),
    default=None,
    help="Срок действия кода в днях (по умолчанию бессрочно).",
)
@click.option("--count", type=click.IntRange(1, 10_000), default=1, show_default=True)
@click.option(
    "--phone",
    default=None,
    help="Отправить код покупателю в SMS (электронный сертификат); код не печатается.",
)
@click.option(
    "--email",
    default=None,
    help="Отправить код покупателю по e-mail (электронный сертификат); код не печатается.",
)
def certificate_issue(
    data_dir: Path | None,
    nominal: int,
    kind: str,
    expires_days: int | None,
    count: int,
    phone: str | None,
    email: str | None,
) -> None:
    """Выпустить код(ы) сертификата. Код показывается один раз (или уходит покупателю в SMS
    или по e-mail через очередь уведомлений): хранится только его хеш."""
    from marketdesk.channels.senders import notification_senders
    from marketdesk.services.certificates import issue_certificate
    from marketdesk.services.errors import ServiceError
    from marketdesk.services.notifications import NotifyPolicy, deliver_due
    from marketdesk.store.models import utcnow

    if phone is not None and email is not None:
        _fail("Укажите что-то одно: --phone или --email.")
    settings = _settings(data_dir)
    expires = utcnow() + timedelta(days=expires_days) if expires_days else None
    senders = notification_senders(settings)

    async def work(database: Any) -> tuple[list[str], int]:
        await _migrate(database)
        codes = []
        async with database.sessions() as session:
            for _ in range(count):
                issued = await issue_certificate(
                    session,
                    nominal_rub=nominal,
                    kind=kind,
                    secret=settings.hashing_secret(),
                    expires_at=expires,
                    sms_to=phone,
                    email_to=email,
                )
                codes.append(issued.code)
            sent = 0
            if phone is not None or email is not None:  # at once; a worker retries the rest
                sent = await deliver_due(
                    session,
                    senders,
                    secret=settings.hashing_secret(),
                    policy=NotifyPolicy.from_settings(settings),
                )
        return codes, sent

    try:
        codes, sent = _run(settings, work)
    except ServiceError as exc:
        _fail(exc.message)
    if phone is None and email is None:
        for code in codes:
            click.echo(code)
        return
    where = "в SMS" if phone is not None else "по e-mail"
    click.echo(f"Сертификатов: {len(codes)}, отправлено {where}: {sent}. Код в журнал не пишется.")
    if sent < len(codes):
        click.echo(
            "Остальные ждут в очереди уведомлений: их отправит сервер или `marketdesk worker`"
            + ("" if "email" in senders or email is None else " (e-mail: MARKETDESK_SMTP_URL)")
            + "."
        )


@main.command()
@data_dir_option
@click.option("--once", is_flag=True, help="Один проход очередей и выход.")
def worker(data_dir: Path | None, once: bool) -> None:
    """Доставлять уведомления, ответы в каналы связи (почта, Telegram, ВКонтакте) и
    вебхуки из очередей (дополнительный процесс; на PostgreSQL их может быть сколько
    угодно: каждое сообщение берёт один)."""
    import signal

    from marketdesk.channels.senders import channel_senders, notification_senders
    from marketdesk.realtime import create_broker
    from marketdesk.services.channels import DeliveryPolicy
    from marketdesk.services.notifications import NotifyPolicy
    from marketdesk.services.webhooks import WebhookPolicy
    from marketdesk.workers.channels import ChannelDeliveryWorker
    from marketdesk.workers.notifications import NotificationWorker
    from marketdesk.workers.webhooks import WebhookWorker

    settings = _settings(data_dir)

    async def work(database: Any) -> tuple[int, int, int]:
        await _migrate(database)
        # the outcome of a channel's delivery and the notification centre reach the sockets
        # of other processes through Redis (MARKETDESK_REDIS_URL); without it the servers
        # deliver the centre, and the console reads a delivery's state on opening
        broker = create_broker(settings.redis_url, settings.async_database_url)
        await broker.start()
        publish = broker.publish if settings.redis_url else None
        notifications = NotificationWorker(
            database,
            notification_senders(settings, publish=publish),
            secret=settings.hashing_secret(),
            policy=NotifyPolicy.from_settings(settings),
            interval=settings.sms_retry_seconds,
        )
        senders = channel_senders(settings)
        replies = ChannelDeliveryWorker(
            database,
            senders,
            publish=broker.publish,
            policy=DeliveryPolicy.from_settings(settings),
            interval=settings.channel_poll_seconds,
        )
        hooks = WebhookWorker(
            database,
            policy=WebhookPolicy.from_settings(settings),
            interval=settings.webhook_poll_seconds,
        )
        try:
            if once:
                return await notifications.round(), await replies.round(), await hooks.round()
            running = asyncio.gather(notifications.run(), replies.run(), hooks.run())
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, running.cancel)
            click.echo(f"Доставка уведомлений, ответов и вебхуков запущена (pid {os.getpid()}).")
            with contextlib.suppress(asyncio.CancelledError):
                await running
            return 0, 0, 0
        finally:
            await hooks.aclose()
            for sender in senders.values():  # their HTTP sessions (Telegram, VK)
                closing = getattr(sender, "aclose", None)
                if closing is not None:
                    await closing()
            await broker.stop()

    import os

    sent, delivered, hooked = _run(settings, work)
    if once:
        click.echo(
            f"Отправлено уведомлений: {sent}. Доставлено ответов в каналы: {delivered}. "
            f"Попыток доставки вебхуков: {hooked}."
        )


@main.group()
def channels() -> None:
    """Каналы связи: почта, Telegram, ВКонтакте."""


@channels.command("check")
def channels_check() -> None:
    """Проверить настройки и связь каждого настроенного канала (MARKETDESK_SMTP_URL,
    MARKETDESK_IMAP_URL, MARKETDESK_TELEGRAM_TOKEN, MARKETDESK_VK_TOKEN…)."""
    from marketdesk.channels.checks import check_channels

    results = asyncio.run(check_channels(Settings()))
    failed = False
    for result in results:
        if not result.configured:
            click.echo(f"{result.title}: не настроен.")
        elif result.ok:
            click.secho(f"{result.title}: в порядке.", fg="green")
        else:
            failed = True
            click.secho(f"{result.title}:", fg="red")
            for problem in result.problems:
                click.secho(f"  — {problem}", fg="red")
    if failed:
        sys.exit(1)


@main.command("vapid-keys")
def vapid_keys_command() -> None:
    """Создать ключи VAPID для Web Push и напечатать их строками окружения. Без них сервер
    при первом запуске сам создаёт ключ в каталоге данных (vapid-private.pem); несколько
    серверов на одной базе должны получить один и тот же ключ."""
    from marketdesk.services.notifications.vapid import VapidKeys, generate_private_key

    keys = VapidKeys(generate_private_key(), subject="")
    click.echo(f"MARKETDESK_VAPID_PRIVATE_KEY={keys.private_raw}")
    click.echo(f"MARKETDESK_VAPID_PUBLIC_KEY={keys.public_key}")


@main.group()
def tasks() -> None:
    """Задачи бэк-офиса."""


@tasks.command("escalate")
@data_dir_option
def tasks_escalate(data_dir: Path | None) -> None:
    """Эскалировать просроченные задачи сейчас (сервер делает это сам раз в минуту).

    С MARKETDESK_REDIS_URL уведомления об эскалации приходят супервизорам в консоль сразу;
    без него они видны в консоли после обновления страницы."""
    from marketdesk.realtime import create_broker
    from marketdesk.services.task_escalation import escalate_overdue

    settings = _settings(data_dir)

    async def work(database: Any) -> list[str]:
        # the live notices reach the servers' sockets only through Redis (another process)
        broker = create_broker(settings.redis_url, settings.async_database_url)
        await broker.start()
        try:
            async with database.sessions() as session:
                return await escalate_overdue(
                    session, publish=broker.publish if settings.redis_url else None
                )
        finally:
            await broker.stop()

    numbers = _run(settings, work)
    click.echo(
        f"Эскалировано задач: {len(numbers)}" + (f" ({', '.join(numbers)})" if numbers else "")
    )


@main.command()
@data_dir_option
def cleanup(data_dir: Path | None) -> None:
    """Удалить истёкшие сессии, посетителей без диалогов, старые коды входа и уведомления
    с кодами, файлы без вложений (сервер делает это сам раз в час)."""
    from marketdesk.workers.cleanup import cleanup_once

    settings = _settings(data_dir)
    result = _run(settings, lambda database: cleanup_once(database, settings))
    click.echo("Удалено: " + result.summary_ru() + ".")


# --- the marketplace's data (issue 16): API keys, import, forget, backup, export --------------


@main.group()
def apikey() -> None:
    """Ключи API интеграций маркетплейса (хранится только хеш ключа)."""


@apikey.command("create")
@data_dir_option
@click.argument("name")
@click.option("--scope", type=click.Choice(["sync"]), required=True, help="Что разрешено ключу.")
def apikey_create(data_dir: Path | None, name: str, scope: str) -> None:
    """Выпустить ключ API; он показывается один раз."""
    from marketdesk.services import api_keys
    from marketdesk.services.errors import ServiceError

    settings = _settings(data_dir)

    async def work(database: Any) -> str:
        await _migrate(database)
        async with database.sessions() as session:
            return (await api_keys.create_key(session, name, scope)).token

    try:
        token = _run(settings, work)
    except ServiceError as exc:
        _fail(exc.message)
    click.echo(token)
    click.secho(
        "Ключ показан один раз: сохраните его. Заголовок: Authorization: Bearer <ключ>.", err=True
    )


@apikey.command("list")
@data_dir_option
def apikey_list(data_dir: Path | None) -> None:
    """Ключи API: имя, область, начало ключа, когда выпущен, использован, отозван."""
    from marketdesk.services import api_keys

    settings = _settings(data_dir)

    async def work(database: Any) -> list[Any]:
        await _migrate(database)
        async with database.sessions() as session:
            return await api_keys.list_keys(session)

    for key in _run(settings, work):
        used = key.last_used_at.isoformat(timespec="seconds") if key.last_used_at else "—"
        state = f"отозван {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "действует"
        click.echo(
            f"{key.name}\t{key.scope}\t{key.prefix}…\t{key.created_at:%Y-%m-%d}\t{used}\t{state}"
        )


@apikey.command("revoke")
@data_dir_option
@click.argument("name")
def apikey_revoke(data_dir: Path | None, name: str) -> None:
    """Отозвать ключ API: запросы с ним сразу получают отказ api_key_revoked."""
    from marketdesk.services import api_keys
    from marketdesk.services.errors import ServiceError

    settings = _settings(data_dir)

    async def work(database: Any) -> None:
        async with database.sessions() as session:
            await api_keys.revoke_key(session, name)

    try:
        _run(settings, work)
    except ServiceError as exc:
        _fail(exc.message)
    click.echo(f"Ключ «{name}» отозван.")


@main.group()
def webhooks() -> None:
    """Вебхуки: события поддержки для других систем (создаются администратором через API)."""


@webhooks.command("list")
@data_dir_option
def webhooks_list(data_dir: Path | None) -> None:
    """Вебхуки: номер, адрес, события, включён ли, сколько доставок ждёт и сколько не
    доставлено."""
    from marketdesk.services.webhooks import all_webhooks

    settings = _settings(data_dir)

    async def work(database: Any) -> list[Any]:
        await _migrate(database)
        async with database.sessions() as session:
            return await all_webhooks(session)

    rows = _run(settings, work)
    if not rows:
        click.echo("Вебхуков нет.")
    for hook in rows:
        state = "включён" if hook.active else "приостановлен"
        click.echo(
            f"{hook.id}\t{hook.url}\t{','.join(hook.events)}\t{state}"
            f"\tждут: {hook.pending}\tне доставлено: {hook.failed}"
        )


@main.command("import")
@data_dir_option
@click.argument(
    "kind",
    type=click.Choice(
        ["customers", "sellers", "products", "stock", "orders", "balances", "certificates"]
    ),
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=2_000, show_default=True)
@click.option("--restart", is_flag=True, help="Начать файл сначала, не с контрольной точки.")
def import_command(
    data_dir: Path | None, kind: str, file: Path, batch_size: int, restart: bool
) -> None:
    """Загрузить данные маркетплейса из файла JSON Lines (.jsonl) или CSV (.csv): те же
    проверки, что у API синхронизации; прерванная загрузка продолжается с места остановки."""
    from tqdm import tqdm

    from marketdesk.services.sync import sync_kind
    from marketdesk.services.sync.importer import count_records, import_file

    settings = _settings(data_dir)
    total = count_records(file)

    async def work(database: Any) -> Any:
        await _migrate(database)
        with tqdm(total=total, unit=" записей", desc=f"Загрузка {kind}") as bar:
            return await import_file(
                database,
                sync_kind(kind),
                file,
                secret=settings.hashing_secret(),
                batch_size=batch_size,
                restart=restart,
                progress=bar.update,
            )

    result = _run(settings, work)
    if result.skipped:
        click.echo(f"Пропущено уже загруженных (контрольная точка): {result.skipped}.")
    click.echo(f"Сохранено: {result.stored}. С ошибками: {result.errors}.")
    if result.errors_file is not None:
        click.echo(f"Ошибки по записям: {result.errors_file}")
    if result.errors:
        sys.exit(2)


@main.group()
def forget() -> None:
    """Право на забвение."""


@forget.command("customer")
@data_dir_option
@click.argument("customer_id", type=click.IntRange(1, MAX_ID))
@click.option("--reason", default=None, help="Основание (номер обращения), попадёт в аудит.")
def forget_customer(data_dir: Path | None, customer_id: int, reason: str | None) -> None:
    """Удалить персональные данные покупателя везде (карточка, контакты в переписке,
    адреса в каналах, журнал уведомлений) и оставить запись об удалении в аудите."""
    from marketdesk.services.errors import ServiceError
    from marketdesk.services.sync import forget_customer as forget_one

    settings = _settings(data_dir)

    async def work(database: Any) -> Any:
        async with database.sessions() as session:
            return await forget_one(session, customer_id, actor="cli:forget", reason=reason)

    try:
        result = _run(settings, work)
    except ServiceError as exc:
        _fail(exc.message)
    click.echo(
        f"Персональные данные покупателя {customer_id} удалены: сообщений с контактами "
        f"{result.messages_masked}, адресов в каналах {result.contacts_erased}, "
        f"уведомлений {result.notifications_erased}."
    )


@main.command()
@data_dir_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup(data_dir: Path | None, file: Path) -> None:
    """Резервная копия базы и файлов каталога данных (вложения, ключи) в один архив; сервер
    останавливать не нужно (SQLite — онлайн-копия, PostgreSQL — pg_dump)."""
    from marketdesk.services.backup import BackupFailed
    from marketdesk.services.backup import backup as make_backup

    settings = _settings(data_dir)
    try:
        result = asyncio.run(make_backup(settings, file.resolve()))
    except BackupFailed as exc:
        _fail(str(exc))
    click.echo(
        f"Резервная копия ({result.backend}, схема {result.revision}, файлов {result.files}): "
        f"{file}. В ней секретный ключ установки — храните её как саму базу."
    )


@main.command()
@data_dir_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore(data_dir: Path | None, file: Path) -> None:
    """Восстановить резервную копию в пустой каталог данных (и пустую базу PostgreSQL)."""
    from marketdesk.services.backup import BackupFailed
    from marketdesk.services.backup import restore as restore_backup

    settings = _settings(data_dir)
    try:
        result = asyncio.run(restore_backup(settings, file))
    except BackupFailed as exc:
        _fail(str(exc))
    click.echo(
        f"Восстановлено ({result.backend}, файлов {result.files}) в {settings.data_dir}. "
        "Запустите marketdesk serve."
    )


@main.group()
def export() -> None:
    """Выгрузка данных."""


@export.command("customer")
@data_dir_option
@click.argument("customer_id", type=click.IntRange(1, MAX_ID))
def export_customer(data_dir: Path | None, customer_id: int) -> None:
    """Все данные одного покупателя в JSON (запрос субъекта персональных данных)."""
    import json

    from marketdesk.services.errors import ServiceError
    from marketdesk.services.sync.export import export_customer as export_one

    settings = _settings(data_dir)

    async def work(database: Any) -> Any:
        async with database.sessions() as session:
            return await export_one(session, customer_id)

    try:
        data = _run(settings, work)
    except ServiceError as exc:
        _fail(exc.message)
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@contextlib.asynccontextmanager
async def _customer_account(customer_id: int) -> AsyncIterator[Any]:
    """``marketdesk ask --customer ID``: the bot acts on that customer's own account in the
    database of the settings (MARKETDESK_DATABASE_URL / the data dir)."""
    from sqlalchemy.exc import SQLAlchemyError

    from marketdesk.services.bot_account import customer_account
    from marketdesk.services.errors import ServiceError
    from marketdesk.store.db import Database

    settings = _settings()
    database = Database(settings.async_database_url)
    try:
        async with database.sessions() as session:
            try:
                account = await customer_account(session, customer_id, settings)
            except ServiceError as exc:
                raise click.ClickException(exc.message) from None
            except SQLAlchemyError:
                raise click.ClickException(
                    "База данных недоступна или не создана (marketdesk db upgrade)."
                ) from None
            yield account
    finally:
        await database.dispose()


def _register_bot_commands() -> None:
    from marketdesk.bot.cli import ask_command, bot_group, kb_group, set_account_opener

    set_account_opener(_customer_account)
    main.add_command(ask_command, "ask")
    main.add_command(bot_group, "bot")
    main.add_command(kb_group, "kb")


_register_bot_commands()

if __name__ == "__main__":
    main()
