"""Refusals of the chat: conversations, messages, the privacy guard and attachments."""

from __future__ import annotations

from marketdesk.domain.lines import Line

from .base import Conflict, InvalidInput, NotFound, PermissionDenied, RateLimited, ServiceError

__all__ = [
    "AlreadyEscalated",
    "AtCapacity",
    "AttachmentDailyQuota",
    "AttachmentEmpty",
    "AttachmentNotFound",
    "AttachmentQuota",
    "AttachmentTooLarge",
    "AttachmentType",
    "ClientMsgIdCharacters",
    "ClientMsgIdTaken",
    "ConversationClosed",
    "ConversationNotFound",
    "CustomerCallsOperator",
    "CustomerEscalates",
    "CustomerNotFound",
    "CustomerRates",
    "CustomerStartsConversation",
    "FieldTooLong",
    "InvalidClientMsgId",
    "InvalidLine",
    "InvalidRating",
    "InvalidSellerTopic",
    "InvalidText",
    "InvalidTextCharacters",
    "InvalidTransferTarget",
    "MessageEmpty",
    "MessageTooLong",
    "NotAssigned",
    "NotAssignedToClose",
    "NotAssignedToResolve",
    "NotAssignedToTransfer",
    "NotOverdue",
    "NotQueued",
    "NotResolved",
    "NotTransferable",
    "NotesStaffOnly",
    "OperatorLoginNotFound",
    "OperatorNotFound",
    "OperatorNotOnLine",
    "PrivacyViolation",
    "SellerTopicRequired",
    "StaffMemberNotFound",
    "TargetAtCapacity",
    "TextTooLong",
    "WrongLine",
]


# --- conversations -------------------------------------------------------------------------


class ConversationNotFound(NotFound):
    """Also what a caller gets for a conversation they may not read."""

    code = "conversation_not_found"
    template = "Диалог {conversation_id} не найден."


class ConversationClosed(Conflict):
    code = "conversation_closed"
    template = "Диалог закрыт. Чтобы задать новый вопрос, начните новый диалог."


class CustomerStartsConversation(PermissionDenied):
    code = "customers_only"
    template = "Диалог начинает покупатель или посетитель сайта."


class CustomerCallsOperator(CustomerStartsConversation):
    template = "Оператора зовёт покупатель."


class CustomerRates(CustomerStartsConversation):
    template = "Оценку ставит покупатель."


class InvalidLine(InvalidInput):
    code = "invalid_line"
    template = "Линия: " + ", ".join(line.value for line in Line) + "."


class SellerTopicRequired(InvalidInput):
    code = "seller_topic_required"
    template = "Для обращения в поддержку продавцов выберите тему и подтему."


class InvalidSellerTopic(InvalidInput):
    code = "invalid_seller_topic"
    template = "Неизвестная тема или подтема обращения."


class WrongLine(PermissionDenied):
    """The caller does not serve the line (``line``: its Russian title)."""

    code = "wrong_line"
    template = "Вы не работаете на линии «{line}»."


class NotQueued(Conflict):
    code = "not_queued"
    template = "Диалог уже не в очереди."


class AtCapacity(Conflict):
    code = "at_capacity"
    template = "Достигнут ваш предел одновременных диалогов: {capacity}."


class TargetAtCapacity(AtCapacity):
    template = "У этого оператора нет свободных мест."


class NotAssigned(PermissionDenied):
    """Only the assigned operator (or a supervisor) may do this; sending is the first case."""

    code = "not_assigned"
    template = "Сначала возьмите диалог: писать покупателю может назначенный оператор."


class NotAssignedToTransfer(NotAssigned):
    template = "Передать диалог может назначенный оператор или супервизор."


class NotAssignedToResolve(NotAssigned):
    template = "Решить диалог может назначенный оператор или супервизор."


class NotAssignedToClose(NotAssigned):
    template = "Закрыть диалог может назначенный оператор или супервизор."


class InvalidTransferTarget(InvalidInput):
    code = "transfer_target"
    template = "Укажите либо оператора, либо линию."


class NotTransferable(Conflict):
    code = "not_transferable"
    template = "Передать можно диалог в очереди или в работе."


class OperatorNotOnLine(Conflict):
    code = "operator_not_on_line"
    template = "Этот оператор не работает на линии диалога."


class OperatorNotFound(NotFound):
    code = "operator_not_found"
    template = "Оператор не найден."


class OperatorLoginNotFound(OperatorNotFound):
    template = "Оператор с логином «{login}» не найден."


class StaffMemberNotFound(OperatorNotFound):
    template = "Сотрудник «{login}» не найден."


class InvalidRating(InvalidInput):
    code = "invalid_rating"
    template = "Оценка — от 1 до 5."


class NotResolved(Conflict):
    code = "not_resolved"
    template = "Оценить можно после того, как вопрос решён."


class CustomerNotFound(NotFound):
    code = "customer_not_found"
    template = "Покупатель с ID {customer_id} не найден."


# --- messages ------------------------------------------------------------------------------


class MessageTooLong(InvalidInput):
    code = "message_too_long"
    template = "Сообщение длиннее {limit} символов. Сократите его или разбейте на части."


class MessageEmpty(InvalidInput):
    code = "message_empty"
    template = "Сообщение пустое."


class InvalidText(InvalidInput):
    code = "invalid_text"
    template = "Сообщение содержит недопустимый символ."


class InvalidTextCharacters(InvalidText):
    template = "Сообщение содержит недопустимые символы."


class InvalidClientMsgId(InvalidInput):
    code = "invalid_client_msg_id"
    template = "client_msg_id: от 1 до {limit} печатных символов."


class ClientMsgIdCharacters(InvalidClientMsgId):
    template = "client_msg_id: только латинские буквы, цифры и знаки."


class ClientMsgIdTaken(Conflict):
    code = "client_msg_id_taken"
    template = "Этот client_msg_id уже использован другим участником диалога."


class NotesStaffOnly(PermissionDenied):
    code = "notes_staff_only"
    template = "Заметки доступны только сотрудникам."


class TextTooLong(InvalidInput):
    code = "text_too_long"
    template = "Текст длиннее {limit} символов."


class FieldTooLong(TextTooLong):
    template = "{field}: не больше {limit} символов."


class PrivacyViolation(InvalidInput):
    """The privacy guard objects to a reply: the message sums up the reasons
    (``reasons``); ``violations=[...]`` lists them in the body."""

    code = "privacy_violation"
    template = "{reasons}"
    example = "Сообщение нельзя отправить."


# --- attachments ---------------------------------------------------------------------------


class AttachmentTooLarge(InvalidInput):
    code = "attachment_too_large"
    template = "Файл больше {megabytes} МБ."


class AttachmentEmpty(InvalidInput):
    code = "attachment_empty"
    template = "Файл пустой."


class AttachmentType(InvalidInput):
    code = "attachment_type"
    template = "Можно прикрепить только {types}."


class AttachmentNotFound(NotFound):
    code = "attachment_not_found"
    template = "Файл не найден."


class AttachmentQuota(ServiceError):
    status = 413
    code = "attachment_quota"
    template = (
        "В этом диалоге уже {used_megabytes:.1f} МБ файлов, а можно не больше "
        "{megabytes} МБ. Отправьте файл поменьше или начните новый диалог."
    )


class AttachmentDailyQuota(RateLimited):
    code = "attachment_daily_quota"
    template = (
        "За сутки можно отправить не больше {files} файлов и {megabytes} МБ. "
        "Попробуйте через {hours} ч."
    )


class CustomerEscalates(CustomerStartsConversation):
    template = "Обратиться к руководству может покупатель или продавец, чьё это обращение."


class NotOverdue(Conflict):
    code = "not_overdue"
    template = (
        "Срок ответа по обращению ещё не истёк. Обратиться к руководству можно, если мы не "
        "ответим или не решим вопрос вовремя."
    )


class AlreadyEscalated(Conflict):
    code = "already_escalated"
    template = "Обращение уже передано руководителю службы поддержки."


# --- the outside channels (e-mail, Telegram, VK) ----------------------------------------------


class DeliveryNotFound(NotFound):
    code = "delivery_not_found"
    template = "Доставка {delivery_id} не найдена."


class DeliveryNotFailed(Conflict):
    code = "delivery_not_failed"
    template = "Повторить можно только недоставленное сообщение."
