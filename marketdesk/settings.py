"""Settings read from environment variables (prefix ``MARKETDESK_``)."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from marketdesk.domain.senders import SenderList
    from marketdesk.domain.sla import SlaPolicy

__all__ = ["REPO_ROOT", "Settings", "normalize_database_url", "password_hashing"]

REPO_ROOT = Path(__file__).resolve().parents[1]


def normalize_database_url(url: str) -> str:
    """Turn a plain ``postgresql://`` or ``sqlite://`` URL into its async-driver form."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url.split("://", 1)[1]
    return url


PASSWORD_HASHING_ENV = "MARKETDESK_PASSWORD_HASHING"  # noqa: S105 (a variable's name)


def password_hashing() -> Literal["standard", "cheap"]:
    """``Settings.password_hashing`` as the password hasher reads it: once per process, on
    its first use (the hasher is module-level, not tied to one app's settings)."""
    return "cheap" if os.environ.get(PASSWORD_HASHING_ENV, "").lower() == "cheap" else "standard"


class Settings(BaseSettings):
    """Everything the service needs to know about its environment."""

    model_config = SettingsConfigDict(env_prefix="MARKETDESK_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="where the SQLite file and keys live")
    database_url: str | None = Field(default=None, description="default: SQLite in the data dir")
    redis_url: str | None = None
    demo: bool = Field(default=True, description="load the demo data set on first start")
    demo_password: str | None = None
    kb_dir: Path = REPO_ROOT / "content" / "kb"
    session_ttl_hours: int = Field(default=12, ge=1, le=24 * 30)
    secret_key: str | None = Field(
        default=None, description="hashes certificate codes; default: a key in the data dir"
    )
    log_level: str = "info"
    log_format: Literal["json", "text"] = Field(
        default="json",
        description="the server's log lines (marketdesk serve): one JSON object a line, or "
        "plain text for a terminal; both carry the request id and mask personal data",
    )
    otel_tracing: bool = Field(
        default=False,
        description="OpenTelemetry spans of every request, when its packages are installed "
        "(marketdesk[otel]); the exporter is configured by OpenTelemetry's OTEL_* variables",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="bearer token of GET /metrics (Prometheus); unset: /metrics answers 404",
    )
    metrics_refresh_seconds: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="with several server processes (serve --workers N): how often each "
        "writes what /metrics reads rather than counts (the database pool, the SQLite write "
        "lock, the Redis broker) to the files the answering process sums",
    )
    sla_interval_seconds: float = Field(default=60.0, gt=0, description="SLA timer period")
    password_hashing: Literal["standard", "cheap"] = Field(
        default="standard",
        description="argon2's cost: standard (its library's default); cheap (the smallest "
        "cost, for the test suite only, never in production); read once per process",
    )
    # chat SLAs (marketdesk.domain.sla): the seeds give no targets, the defaults are ours
    # (DEFAULT_SLA_POLICY: web 3 min first response, 10 min next, 24 h resolution; Travel
    # tighter; sellers 30 min; e-mail one working day)
    sla_policy: str = Field(
        default="",
        description='JSON laid over the default chat SLA targets: {"default": {...}, "lines": '
        '{"travel_priority": {...}}, "channels": {"email": {...}}, "pairs": {"seller/email": '
        "{...}}}, each {...} some of first_response, next_response, resolution, escalation as "
        '{"minutes": N, "business_hours": true|false}; empty: the defaults',
    )
    sla_warning_share: float = Field(
        default=0.25,
        ge=0,
        lt=1,
        description="a chat SLA clock is at risk (a warning goes to the operator and the "
        "supervisors) when this share of its target or less is left",
    )
    sla_clocks: bool = Field(
        default=True,
        description="the chat's service-level clocks run (false: no clock starts, so no "
        "warning, breach or customer escalation comes of them; for a marketplace without "
        "SLAs)",
    )
    sla_chat_interval_seconds: float = Field(
        default=15.0,
        gt=0,
        description="how often the SLA timer looks for chat clocks at risk or breached",
    )

    @field_validator("sla_policy")
    @classmethod
    def _sla_policy(cls, value: str) -> str:
        import json

        from marketdesk.domain.sla import parse_policy

        if value.strip():
            parse_policy(json.loads(value))
        return value

    def chat_sla_policy(self) -> SlaPolicy:
        """The chat SLA policy of these settings (``MARKETDESK_SLA_POLICY``)."""
        import json

        from marketdesk.domain.sla import parse_policy

        raw = json.loads(self.sla_policy) if self.sla_policy.strip() else None
        return parse_policy(raw, warning_share=self.sla_warning_share)

    kb_watch_interval_seconds: float = Field(default=2.0, gt=0)
    kb_eval_sets: str = Field(
        default="",
        description="the bot's evaluation sets (TSV files, separated by «:») an article edit in "
        "the console must not make worse; empty: tests/bot/heldout.tsv and "
        "../shared/kb/dev-questions.tsv where they exist (not in the seeds)",
    )
    certificate_lookups_per_hour: int = Field(
        default=60,
        ge=1,
        le=10_000,
        description="gift-certificate checks one operator may make per hour (not in the seeds)",
    )
    principal_cache_seconds: float = Field(
        default=1.0,
        ge=0,
        description="how long a process remembers whom a bearer token belongs to (two "
        "queries fewer a request; ended sessions are forgotten at once, role changes "
        "reach other processes within this time); 0: check every request",
    )
    visitor_principal_cache_seconds: float = Field(
        default=300.0,
        ge=0,
        description="how long a process remembers a widget visitor's token (no roles, no "
        "account: only its session's end changes it, and that is announced to every process; "
        "after Redis comes back every process forgets what it kept); 0: check every request "
        "(not in the seeds)",
    )
    socket_reauth_seconds: float = Field(
        default=60.0, gt=0, description="how often an open WebSocket's token is checked again"
    )
    max_body_bytes: int = Field(
        default=256 * 1024,
        ge=1024,
        description="largest request body of a JSON route, in bytes; 256 KiB: the longest "
        "field a route takes (64 000 characters of the guard check, 125 KiB of Cyrillic in "
        "UTF-8) with room for JSON escaping; uploads keep their own limit (10 MB file)",
    )
    ws_max_frame_bytes: int = Field(
        default=64 * 1024,
        ge=16 * 1024,
        description="largest WebSocket frame, in bytes, enforced by the server before buffering "
        "(64 KiB: a 4 000-character message even with every character escaped in JSON)",
    )
    header_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="time a connection has to send a request's headers (slowloris); "
        "10 s: a slow mobile client sends headers in well under a second",
    )
    widget_embed_origins: str = Field(
        default="",
        description="sites allowed to embed the widget in a frame, space- or comma-separated "
        "(https://shop.example); empty: only the server's own pages",
    )
    api_docs: bool = Field(
        default=True, description="serve the interactive API docs at /docs and /redoc"
    )
    # reports (marketdesk.services.reports); the seeds give no numbers, these are ours
    reports_interval_seconds: float = Field(
        default=300.0, gt=0, description="how often the reports worker materialises closed days"
    )
    reports_refresh_days: int = Field(
        default=7,
        ge=1,
        le=90,
        description="closed days the reports worker counts again on every round, so that late "
        "ratings and resolutions reach the reports",
    )
    reports_write_chunk_rows: int = Field(
        default=2000,
        ge=100,
        description="facts a write transaction of the reports worker holds at most: a larger "
        "change (a busy first round) is written in several, so that SQLite's write lock is "
        "never held long",
    )
    reports_business_hours_lines: str = Field(
        default="seller",
        description="lines whose first response and resolution times count business hours only "
        "(Mon–Fri 09:00–18:00 Moscow), comma-separated; the others count around the clock",
    )
    demo_history_days: int = Field(
        default=90,
        ge=0,
        le=730,
        description="days of generated conversation history the demo loads (0: none)",
    )
    demo_history_per_day: int = Field(
        default=40, ge=1, le=5000, description="generated conversations a day in the demo history"
    )

    # abuse limits (marketdesk.services.rate_limits): "N/period" items joined by ";", where a
    # period is second, minute, hour or day (e.g. "10/minute;60/hour"); the seeds give no
    # numbers, these defaults are ours. Shared by all processes when redis_url is set.
    rate_limits_enabled: bool = Field(default=True, description="off: no rate limits at all")
    rate_limit_scale: float = Field(
        default=1.0,
        gt=0,
        description="multiplies every limit below (not the per-phone code limits): for load "
        "tests, e.g. 1000",
    )
    rate_limit_prefix: str = Field(
        default="marketdesk:limits", max_length=100, description="prefix of the Redis keys"
    )
    trusted_proxies: str = Field(
        default="",
        description="IPs or CIDRs of reverse proxies, comma-separated: X-Forwarded-For is "
        "believed only from them; empty: the peer address is the client",
    )
    rate_visitors_per_ip: str = Field(
        default="30/minute;300/hour", description="new widget visitors from one IP"
    )
    rate_conversations: str = Field(
        default="10/minute;60/hour", description="new conversations of one visitor or customer"
    )
    rate_conversations_per_ip: str = Field(
        default="30/minute;300/hour", description="new conversations from one IP"
    )
    rate_messages: str = Field(
        default="30/minute;600/hour",
        description="messages and files of one visitor or customer (REST and sockets)",
    )
    rate_messages_per_ip: str = Field(
        default="120/minute;3000/hour", description="messages and files from one IP"
    )
    rate_tasks: str = Field(
        default="5/minute;20/hour", description="description-error reports of one customer"
    )
    rate_certificates: str = Field(
        default="5/minute;20/hour", description="certificate activation attempts of one customer"
    )
    rate_certificates_per_ip: str = Field(
        default="20/minute;60/hour", description="certificate activation attempts from one IP"
    )
    rate_codes_per_ip: str = Field(default="20/hour", description="login-code requests from one IP")
    rate_sockets: int = Field(
        default=10, ge=1, description="open WebSockets of one visitor or customer"
    )
    rate_sockets_per_ip: int = Field(
        default=100, ge=1, description="open WebSockets of visitors and customers from one IP"
    )
    rate_login_failures: int = Field(
        default=5, ge=1, description="failed operator logins of one login before a lockout"
    )
    rate_login_failures_per_ip: int = Field(
        default=20, ge=1, description="failed operator logins from one IP before a lockout"
    )
    rate_login_lockout_seconds: int = Field(
        default=60, ge=1, description="the first lockout; each further failure doubles it"
    )
    rate_login_lockout_max_seconds: int = Field(
        default=3600, ge=1, description="the longest lockout"
    )
    codeword_max_misses: int = Field(
        default=5,
        ge=1,
        le=100,
        description="misses of a customer's codeword in the operators' identity checks "
        "before it locks (issue 14; the seeds give no figure)",
    )
    codeword_lock_minutes: int = Field(
        default=60,
        ge=1,
        le=7 * 24 * 60,
        description="how long a codeword stays locked after the misses (issue 14)",
    )
    codeword_min_chars: int = Field(
        default=4, ge=1, le=32, description="the shortest codeword a customer may set"
    )
    codeword_reset_queue: str = Field(
        default="Идентификация / Забытое кодовое слово",
        description="the back-office queue of the forgotten-codeword procedure (seed 001: "
        "«пройти процедуру идентификации»); one of the known task queues",
    )
    open_conversations_per_line: int = Field(
        default=3,
        ge=1,
        description="open conversations of one visitor or customer on one line; one more "
        "returns the most recent open one",
    )

    @field_validator(
        "rate_visitors_per_ip",
        "rate_conversations",
        "rate_conversations_per_ip",
        "rate_messages",
        "rate_messages_per_ip",
        "rate_tasks",
        "rate_certificates",
        "rate_certificates_per_ip",
        "rate_codes_per_ip",
    )
    @classmethod
    def _rate(cls, value: str) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError as error:
            raise ValueError(f"expected e.g. 10/minute;60/hour, got {value!r}") from error
        return value

    @field_validator("official_senders")
    @classmethod
    def _senders(cls, value: str) -> str:
        from marketdesk.domain.senders import parse_senders

        parse_senders(value)
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                ipaddress.ip_network(part.strip(), strict=False)
        return value

    @cached_property
    def trusted_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(
            ipaddress.ip_network(part.strip(), strict=False)
            for part in self.trusted_proxies.split(",")
            if part.strip()
        )

    # notifications (the outbox, marketdesk.services.notifications); the seeds give no
    # numbers for any of these: configuration defaults
    sms_retry_seconds: float = Field(
        default=10.0,
        gt=0,
        description="how often an idle notification worker looks for due work (a login code "
        "is sent at once, by its request)",
    )
    notify_channels: str = Field(
        default="sms,email,push,center,vk",
        description="channels that have an adapter here (comma-separated: sms, email, "
        "push, center, vk; vk only when MARKETDESK_VK_TOKEN is set); "
        "a customer's other channels are not written to the outbox",
    )
    notify_offline_delay_seconds: float = Field(
        default=300.0,
        ge=10,
        description="an operator's reply to a customer who is not in the chat is told to "
        "them by e-mail or push after this (once per conversation until they come back)",
    )
    notify_templates_dir: Path = Field(
        default=REPO_ROOT / "content" / "notifications",
        description="the Russian templates, <type>/<event>.<channel>.txt, read at each "
        "notification (editable without a deploy)",
    )
    notify_max_attempts: int = Field(
        default=8, ge=1, le=100, description="tries before a notification is a dead letter"
    )
    notify_backoff_seconds: float = Field(
        default=5.0, gt=0, description="the first retry's pause; doubles each try (+ jitter)"
    )
    notify_backoff_max_seconds: float = Field(
        default=3600.0, gt=0, description="the longest pause between two tries"
    )
    notify_claim_seconds: float = Field(
        default=60.0,
        gt=0,
        description="how long a worker owns a notification it sends; one left by a killed "
        "worker is tried again after this, with the same idempotency key",
    )
    notify_batch: int = Field(default=50, ge=1, le=1000, description="claimed per round")
    notify_concurrency: int = Field(
        default=8, ge=1, le=256, description="sends in flight at once in one worker"
    )
    notify_quiet_start: str = Field(
        default="22:00", description="quiet hours start (customer's local time, HH:MM)"
    )
    notify_quiet_end: str = Field(
        default="09:00", description="quiet hours end; non-urgent types wait until then"
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="the server's address as customers reach it (links in e-mails)",
    )
    bot_withdrawal_path: str = Field(
        default="/#withdraw",
        description="the withdrawal screen the bot links to (a path under public_url)",
    )
    smtp_url: str | None = Field(
        default=None,
        description="smtp://user:password@host:port (smtps:// for TLS at connect, "
        "?starttls=1 for STARTTLS); unset: host/port below",
    )
    smtp_host: str | None = Field(default=None, description="SMTP server; unset: no e-mail")
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    sms_url: str | None = Field(
        default=None, description="HTTP SMS gateway; unset: the demo's log file (sms-demo.log)"
    )
    sms_body_template: str | None = Field(
        default=None,
        description='the POST body, JSON with $phone, $text, $id, e.g. {"to": "$phone", '
        '"msg": "$text"}; default {"phone": …, "text": …}',
    )
    sms_auth_header: SecretStr | None = Field(
        default=None, description='a header sent with each request, "Name: value"'
    )
    sms_id_field: str = Field(
        default="id",
        description="where the gateway's answer holds its message id (a dotted path in "
        'its JSON, e.g. "data.id"), kept for its delivery reports',
    )
    sms_status_secret: SecretStr | None = Field(
        default=None,
        description="the shared secret of the gateway's delivery reports "
        "(POST /api/v1/notifications/sms-status); unset: reports are refused",
    )
    # the outside channels (issue 12: e-mail, Telegram, VK); unset: the channel is off.
    # Outbound e-mail shares MARKETDESK_SMTP_URL above with the notifications.
    smtp_listen: str | None = Field(
        default=None,
        description="host:port of marketdesk's own SMTP receiver, for a marketplace that "
        "routes support mail to it; unset: no receiver",
    )
    imap_url: str | None = Field(
        default=None,
        description="imap://user:password@host:port/MAILBOX (imaps:// for TLS) to poll for "
        "support mail; unset: no polling",
    )
    imap_poll_seconds: float = Field(
        default=60.0,
        gt=0,
        description="how often the mailbox is looked at when the server has no IDLE (and the "
        "longest IDLE wait)",
    )
    # seed 002: help@ozon.ru «для частных клиентов», sellersup@ozon.ru «поддержка для продавцов»
    mail_help_address: str = Field(
        default="help@ozon.ru",
        description="the customers' support address: replies come from it",
    )
    mail_seller_address: str = Field(
        default="sellersup@ozon.ru",
        description="the sellers' support address: a letter to it opens a conversation on "
        "the seller line, replies to sellers come from it",
    )
    mail_seller_topic: str = Field(
        default="Заказы",
        description="the seller topic of a letter whose subject names none (the seeds give "
        "no default; one of the seller support topics)",
    )
    mail_seller_subtopic: str = Field(
        default="Поиск потерявшегося заказа",
        description="the sub-topic that goes with MARKETDESK_MAIL_SELLER_TOPIC",
    )
    telegram_token: SecretStr | None = Field(default=None, description="the bot's token")
    telegram_secret: SecretStr | None = Field(
        default=None,
        description="the webhook path's secret and Telegram's X-Telegram-Bot-Api-Secret-Token",
    )
    telegram_mode: Literal["webhook", "polling"] = "webhook"
    telegram_api: str = Field(
        default="https://api.telegram.org",
        description="the Bot API's base URL (a local Bot API server, a test's server)",
    )
    vk_token: SecretStr | None = Field(default=None, description="the community's token")
    vk_secret: SecretStr | None = Field(
        default=None, description="the Callback API's secret key (checked on every call)"
    )
    vk_confirmation: str | None = Field(
        default=None, description="the string the Callback API's confirmation request gets"
    )
    vk_api: str = Field(default="https://api.vk.com", description="the VK API's base URL")
    # delivery into them (services.channels.delivery); the seeds give no numbers
    channel_max_attempts: int = Field(
        default=10, ge=1, le=100, description="tries before a reply is «не доставлено»"
    )
    channel_backoff_seconds: float = Field(
        default=2.0, gt=0, description="the first retry's pause; doubles each try (+ jitter)"
    )
    channel_backoff_max_seconds: float = Field(
        default=300.0, gt=0, description="the longest pause between two tries"
    )
    channel_claim_seconds: float = Field(
        default=60.0,
        gt=0,
        description="how long a worker owns a reply it sends; one left by a killed worker "
        "is tried again after this",
    )
    channel_poll_seconds: float = Field(
        default=1.0, gt=0, description="how often an idle delivery worker looks for work"
    )
    # events out (services.webhooks, issue 16); the seeds give no numbers
    webhook_max_attempts: int = Field(
        default=8, ge=1, le=100, description="tries before a webhook delivery is dead"
    )
    webhook_backoff_seconds: float = Field(
        default=10.0, gt=0, description="the first retry's pause; doubles each try (+ jitter)"
    )
    webhook_backoff_max_seconds: float = Field(
        default=3600.0, gt=0, description="the longest pause between two tries"
    )
    webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, le=300, description="how long an endpoint may take to answer"
    )
    webhook_claim_seconds: float = Field(
        default=60.0,
        gt=0,
        description="how long a worker owns a delivery it sends; one left by a killed worker "
        "is tried again after this",
    )
    webhook_poll_seconds: float = Field(
        default=1.0, gt=0, description="how often an idle webhook worker looks for work"
    )
    webhook_subscriptions_cache_seconds: float = Field(
        default=1.0,
        ge=0,
        le=60,
        description="how long a process keeps the active webhook subscriptions it read (a "
        "change made in another process reaches it within this time; 0: read them for every "
        "event)",
    )
    webhook_log_days: int = Field(
        default=30,
        ge=1,
        description="delivered and dead webhook deliveries are kept this long (days)",
    )
    official_senders: str = Field(
        default="notifications=mailer@ozon.ru; marketing=news@news.ozon.ru; "
        "receipts=noreply@ozon.ru",
        description="the official e-mail senders (seed 000), role=address: used to send "
        "notifications and by the phishing check («это наше письмо?»)",
    )

    # Web Push (VAPID, RFC 8292): without a key in the environment the server keeps one it
    # generated on first start in the data dir (vapid-private.pem, 0600); `marketdesk
    # vapid-keys` prints a new pair for the environment (several servers must share one)
    vapid_private_key: SecretStr | None = Field(
        default=None,
        description="the VAPID private key: raw P-256 (base64url, 32 bytes) or PEM; unset: "
        "the data dir's vapid-private.pem, generated if missing",
    )
    vapid_public_key: str | None = Field(
        default=None,
        description="the VAPID public key (base64url, uncompressed point); checked against "
        "the private key when given",
    )
    vapid_subject: str | None = Field(
        default=None,
        description="the VAPID contact (mailto: or https:), sent to push services; unset: "
        "MARKETDESK_PUBLIC_URL when it is https, else mailto:support@<its host>",
    )
    push_ttl_seconds: int = Field(
        default=86_400,
        ge=0,
        le=2_419_200,
        description="how long a push service keeps a message for an offline device (TTL)",
    )
    push_max_devices: int = Field(
        default=10, ge=1, le=100, description="push subscriptions kept per customer (newest)"
    )
    # uploads: quotas (0: no limit); configuration defaults, the seeds give none
    upload_quota_conversation_mb: int = Field(
        default=100, ge=0, description="files in one conversation, MB (default 100)"
    )
    upload_quota_daily_mb: int = Field(
        default=200, ge=0, description="what one customer or visitor uploads in 24 h, MB"
    )
    upload_quota_daily_files: int = Field(
        default=200, ge=0, description="files one customer or visitor uploads in 24 h"
    )
    # clean-up (a worker in every server process, and `marketdesk cleanup`)
    cleanup_interval_seconds: float = Field(
        default=3600.0, gt=0, description="how often the clean-up runs (default hourly)"
    )
    cleanup_session_days: int = Field(
        default=7, ge=0, description="expired or revoked sessions are kept this long (days)"
    )
    cleanup_visitor_hours: int = Field(
        default=24, ge=1, description="a visitor with no conversation is removed after (hours)"
    )
    cleanup_login_code_days: int = Field(
        default=1, ge=1, description="login codes (hashes) are kept this long (days)"
    )
    cleanup_sms_days: int = Field(
        default=7,
        ge=0,
        description="sent, failed or expired notifications that carried a secret (codes) "
        "are kept this long (days)",
    )
    cleanup_orphan_file_minutes: int = Field(
        default=60, ge=10, description="a file with no attachment row is removed after (min)"
    )
    cleanup_security_message_days: int = Field(
        default=90,
        ge=1,
        description="messages of the customer's «Безопасность» chat are kept this long (days; "
        "a code in one is hidden as soon as it can no longer be used)",
    )

    # «Оценка сервиса» (issue 15): the seeds give no numbers, these are defaults
    rating_low_threshold: int = Field(
        default=2,
        ge=0,
        le=5,
        description="a rating at or below this opens a review for the supervisors (0: none)",
    )
    rating_reminder_hours: float = Field(
        default=24.0,
        ge=0,
        description="one reminder to rate, this long after the resolve if not rated (0: off)",
    )
    rating_reminder_interval_seconds: float = Field(
        default=300.0, gt=0, description="how often the rating reminder worker looks"
    )
    # the supervisors' wallboard (/console/board)
    db_pool_size: int = Field(
        default=10,
        ge=1,
        description="database connections each server process keeps open (with N processes "
        "and hosts, N × (pool + overflow) must stay under PostgreSQL's max_connections)",
    )
    db_max_overflow: int = Field(
        default=20,
        ge=0,
        description="extra database connections a process opens in a burst (on SQLite they "
        "are kept afterwards: opening one under load is slow)",
    )
    db_ping_after_idle_seconds: float = Field(
        default=1.0,
        ge=0,
        description="a pooled PostgreSQL connection unused this long is pinged before use, and "
        "replaced if dead (0: pinged every time); one used more recently is handed out as is",
    )
    leader_retry_seconds: float = Field(
        default=5.0,
        gt=0,
        description="how often a server process checks the leader lease of the background "
        "work that runs once across processes (PostgreSQL: an advisory lock)",
    )
    board_push_seconds: float = Field(
        default=5.0, gt=0, description="a fresh wallboard is pushed to supervisors this often"
    )
    board_sla_warning_minutes: float = Field(
        default=5.0,
        ge=0,
        description="the wallboard counts a reply due within this many minutes as at risk",
    )

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @cached_property
    def async_database_url(self) -> str:
        if self.database_url:
            return normalize_database_url(self.database_url)
        return f"sqlite+aiosqlite:///{self.data_dir / 'marketdesk.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.async_database_url.startswith("sqlite")

    def official_sender_list(self) -> SenderList:
        """``official_senders`` parsed (a malformed setting stops the start)."""
        from marketdesk.domain.senders import parse_senders

        return parse_senders(self.official_senders)

    def kb_eval_set_list(self) -> list[Path]:
        """``kb_eval_sets`` as paths; by default the evaluation sets found beside the code."""
        if self.kb_eval_sets.strip():
            return [Path(p) for p in self.kb_eval_sets.split(":") if p.strip()]
        found = [
            REPO_ROOT / "tests" / "bot" / "heldout.tsv",
            REPO_ROOT.parent / "shared" / "kb" / "dev-questions.tsv",
        ]
        return [p for p in found if p.is_file()]

    def notify_templates_overlay(self) -> Path:
        """Where the notification templates edited in the console live (over the seed's)."""
        return self.data_dir / "notification-templates"

    def kb_edits_dir(self) -> Path:
        """Where the articles edited in the console live (over ``kb_dir``)."""
        return self.data_dir / "kb-edits"

    def ensure_data_dir(self) -> Path:
        """The data dir, created if need be, readable by the server's user only (0700): it
        holds the database, the attachments and the secret key."""
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.data_dir.stat().st_mode & 0o077:
            with contextlib.suppress(OSError):  # not ours to change (a mounted volume)
                self.data_dir.chmod(0o700)
        return self.data_dir

    def hashing_secret(self) -> bytes:
        """The installation's secret for hashing certificate codes: MARKETDESK_SECRET_KEY, or a
        random key kept in the data dir (several servers on one database must share it)."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.ensure_data_dir() / "secret.key"
        if not path.exists():
            # written aside, then linked: atomic, and the first of two racing processes wins
            tmp = path.with_name(f".secret.{os.getpid()}.{secrets.token_hex(4)}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_bytes(32))
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        return path.read_bytes()
