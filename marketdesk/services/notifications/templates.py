"""The Russian texts of notifications: one file per event and channel,
``<templates dir>/<type>/<event>.<channel>.txt`` (``content/notifications/`` by default,
``MARKETDESK_NOTIFY_TEMPLATES_DIR``), read each time a notification is raised, so an edit
takes effect without a deploy. Placeholders are ``$name`` / ``${name}``
(:class:`string.Template`). An e-mail template starts with ``Тема: <subject>`` and a blank
line. A messenger (VK, OK) without a file of its own gets the SMS text: both are one plain
message (:data:`FALLBACK`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from string import Template

__all__ = ["FALLBACK", "Rendered", "TemplateMissing", "render", "template_name"]

_SUBJECT = "Тема:"
FALLBACK = {"vk": "sms", "ok": "sms"}
"""A channel's text when it has no file of its own: another channel's."""


class TemplateMissing(LookupError):
    """No template file for an event and channel, or a placeholder without a value."""


@dataclass(frozen=True, slots=True)
class Rendered:
    name: str
    subject: str | None
    body: str


def template_name(type_: str, event: str, channel: str) -> str:
    return f"{type_}/{event}.{channel}"


def render(
    directory: Path,
    type_: str,
    event: str,
    channel: str,
    data: Mapping[str, object],
    overlay: Path | None = None,
) -> Rendered:
    """``overlay``: the templates edited in the console (``services.content.templates``),
    read before the seed's."""
    name = template_name(type_, event, channel)
    path = directory / f"{name}.txt"
    if overlay is not None and (overlay / f"{name}.txt").is_file():
        path = overlay / f"{name}.txt"
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if channel not in FALLBACK:
            raise TemplateMissing(name) from None
        return render(directory, type_, event, FALLBACK[channel], data, overlay)
    try:
        text = Template(raw).substitute({k: str(v) for k, v in data.items()})
    except (KeyError, ValueError) as exc:
        raise TemplateMissing(f"{name}: {exc}") from None
    subject = None
    if text.startswith(_SUBJECT):
        first, _, text = text.partition("\n")
        subject = first[len(_SUBJECT) :].strip()
    return Rendered(name=name, subject=subject, body=text.strip())
