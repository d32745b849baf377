"""What the transcript says when a conversation moves (system messages, in Russian; seed
002: «Обычно вам напишут в течение 1-3 минут»)."""

from __future__ import annotations

__all__ = [
    "TEXT_ASSIGNED",
    "TEXT_CLOSED",
    "TEXT_QUEUED",
    "TEXT_REOPENED",
    "TEXT_RESOLVED",
    "TEXT_TICKET",
    "TEXT_TRANSFERRED_LINE",
    "TEXT_TRANSFERRED_OPERATOR",
]

TEXT_QUEUED = (
    "Передаю диалог оператору. Обычно оператор отвечает в течение 1–3 минут, "
    "в зависимости от загруженности. Пожалуйста, не закрывайте чат."
)
TEXT_ASSIGNED = "Оператор подключился к диалогу."
TEXT_TRANSFERRED_OPERATOR = "Диалог передан другому оператору."
TEXT_TRANSFERRED_LINE = "Диалог передан на линию «{line}». Оператор скоро подключится."
TEXT_RESOLVED = (
    "Оператор отметил вопрос как решённый. Оцените, пожалуйста, работу поддержки от 1 до 5. "
    "Если вопрос остался, просто напишите — диалог откроется снова."
)
TEXT_REOPENED = "Диалог снова открыт."
TEXT_CLOSED = "Диалог закрыт. Чтобы задать новый вопрос, начните новый диалог."
TEXT_TICKET = "Обращение зарегистрировано, номер {ticket}. Тема: {topic} / {subtopic}."
TEXT_ESCALATED = (
    "Ваше обращение передано руководителю службы поддержки. Руководитель разберётся в "
    "ситуации и ответит вам в этом диалоге до {due} по московскому времени."
)
