"""Refusals of the content edited in the console's «Управление» (``services.content``)."""

from __future__ import annotations

from .base import Conflict, InvalidInput, NotFound

__all__ = [
    "ArticleInvalid",
    "ArticleNotFound",
    "ContentChanged",
    "ContentVersionNotFound",
    "EvaluationDropped",
    "InvalidContentKey",
    "InvalidNewsLines",
    "TemplateInvalid",
    "TemplateNotFound",
]


class ArticleInvalid(InvalidInput):
    """The article does not pass ``marketdesk kb check``: ``problem`` says why."""

    code = "article_invalid"
    template = "Статья не прошла проверку: {problem}"
    example = "Статья не прошла проверку: front matter: required field 'title' is missing"


class EvaluationDropped(Conflict):
    """Saving would make the bot answer worse on its evaluation sets; the body carries the
    figures ``before`` and ``after`` and the ``drops``. Saving again with ``"confirm": true``
    goes through."""

    code = "evaluation_dropped"
    template = (
        "После правки бот отвечает хуже на проверочных наборах: {drops}. "
        "Сохраните с подтверждением, если так и задумано."
    )
    example = (
        "После правки бот отвечает хуже на проверочных наборах: heldout.tsv, темы 66 → 64. "
        "Сохраните с подтверждением, если так и задумано."
    )


class ArticleNotFound(NotFound):
    code = "article_not_found"
    template = "Статья «{key}» не найдена."


class ContentVersionNotFound(NotFound):
    code = "content_version_not_found"
    template = "Версии {version} у «{key}» нет."


class InvalidContentKey(InvalidInput):
    code = "invalid_content_key"
    template = "Имя статьи: латинские строчные буквы, цифры, «_» и «-», до 80 знаков."


class InvalidNewsLines(InvalidInput):
    """``known``: the lines there are."""

    code = "invalid_news_lines"
    template = "Новость можно адресовать только линиям: {known}."


class TemplateNotFound(NotFound):
    code = "answer_template_not_found"
    template = "Шаблона ответа «{key}» нет."


class TemplateInvalid(InvalidInput):
    code = "answer_template_invalid"
    template = "Шаблон ответа не подходит: {problem}"
    example = "Шаблон ответа не подходит: неизвестная подстановка $amount."


class ContentChanged(Conflict):
    code = "content_changed"
    template = (
        "Этот текст только что сохранил кто-то другой. Откройте его заново и повторите правку."
    )
