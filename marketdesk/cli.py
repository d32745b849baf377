"""The ``marketdesk`` command: local administration, like Django's manage.py."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable
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

    from marketdesk.api.limits import HeaderTimeoutProtocol
    from marketdesk.observability.logs import logging_config

    settings = _settings(data_dir)
    _run(settings, lambda db: _prepare(db, settings))
    os.environ["MARKETDESK_DATA_DIR"] = str(settings.data_dir)
    click.echo(f"marketdesk {__version__}: http://{host}:{port}  (данные: {settings.data_dir})")
    click.echo(f"Консоль оператора: http://{host}:{port}/console  (чат покупателя: /, API: /docs)")
    uvicorn.run(
        "marketdesk.server:create_app",
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
@click.option("--once", is_flag=True, help="Один проход очереди и выход.")
def worker(data_dir: Path | None, once: bool) -> None:
    """Доставлять уведомления из очереди (дополнительный процесс; на PostgreSQL их может
    быть сколько угодно: каждое уведомление берёт один)."""
    import signal

    from marketdesk.channels.senders import notification_senders
    from marketdesk.services.notifications import NotifyPolicy
    from marketdesk.workers.notifications import NotificationWorker

    settings = _settings(data_dir)

    async def work(database: Any) -> int:
        from marketdesk.realtime import create_broker

        await _migrate(database)
        # the notification centre publishes to the customers' sockets: only through Redis
        # can another process reach them (without it the servers deliver the centre)
        broker = create_broker(settings.redis_url, settings.async_database_url)
        await broker.start()
        publish = broker.publish if settings.redis_url else None
        runner = NotificationWorker(
            database,
            notification_senders(settings, publish=publish),
            secret=settings.hashing_secret(),
            policy=NotifyPolicy.from_settings(settings),
            interval=settings.sms_retry_seconds,
        )
        try:
            return await _work_rounds(runner, once)
        finally:
            await broker.stop()

    async def _work_rounds(runner: NotificationWorker, once: bool) -> int:
        if once:
            return await runner.round()
        task = asyncio.ensure_future(runner.run())
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
        click.echo(f"Доставка уведомлений запущена (pid {os.getpid()}).")
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return 0

    import os

    sent = _run(settings, work)
    if once:
        click.echo(f"Отправлено уведомлений: {sent}.")


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
    """Эскалировать просроченные задачи сейчас (сервер делает это сам раз в минуту)."""
    from marketdesk.services.tasks import escalate_overdue

    settings = _settings(data_dir)

    async def work(database: Any) -> list[str]:
        async with database.sessions() as session:
            return await escalate_overdue(session)

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


def _register_bot_commands() -> None:
    from marketdesk.bot.cli import ask_command, bot_group, kb_group

    main.add_command(ask_command, "ask")
    main.add_command(bot_group, "bot")
    main.add_command(kb_group, "kb")


_register_bot_commands()

if __name__ == "__main__":
    main()
