"""Refusals of the use cases outside the chat: login, customers, tasks, products, money."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from marketdesk.domain.certificates import (
    OPERATOR_MAY_NOT_ACTIVATE_RU,
    REFUSAL_MESSAGES_RU,
    CertificateRefusal,
)
from marketdesk.domain.markdown import MarkdownCheck
from marketdesk.domain.tasks import TaskPriority
from marketdesk.domain.withdrawal import WithdrawalRefusal

from .base import (
    AuthenticationRequired,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServiceError,
    Unavailable,
)

__all__ = [
    "CERTIFICATE_REFUSALS",
    "MARKDOWN_REFUSALS",
    "WITHDRAWAL_REFUSALS",
    "AccountDisabled",
    "AccountNotFound",
    "AmountTooLarge",
    "AmountTooPrecise",
    "BelowMinimum",
    "CertificateAlreadyUsed",
    "CertificateCodeLength",
    "CertificateDailyLimit",
    "CertificateExpired",
    "CertificateLegalEntity",
    "CertificateLookupLimit",
    "CertificateRefused",
    "CodeRequestTooSoon",
    "CommentEmpty",
    "CommentTooLong",
    "CouponBanNotLiftable",
    "EmptyQuery",
    "EmptyText",
    "ExceedsBalance",
    "ExcludedGroup",
    "FileNotFound",
    "GradeNotForGroup",
    "InvalidAmount",
    "InvalidCertificateCode",
    "InvalidCertificateKind",
    "InvalidComment",
    "InvalidCommentCharacter",
    "InvalidCommentCharacters",
    "InvalidCredentials",
    "InvalidDateRange",
    "InvalidGrade",
    "InvalidLoginCode",
    "InvalidMarkdownReason",
    "InvalidNominal",
    "InvalidPeriod",
    "InvalidPhone",
    "InvalidPriority",
    "InvalidTaskStatus",
    "InvalidToken",
    "InvalidTransition",
    "KnowledgeBaseUnavailable",
    "LimitReached",
    "LinkMismatch",
    "LinkNotFound",
    "LoginToActivate",
    "LoginToReport",
    "MarkdownRefused",
    "MustWithdrawAll",
    "NewsNotFound",
    "NoCouponBan",
    "NoSearchWords",
    "NotBackofficeAgent",
    "OperatorMayNotActivate",
    "PhoneMissing",
    "PriceOutOfRange",
    "ProductNotFound",
    "QueryTooLong",
    "ReasonRequired",
    "RoleRequired",
    "SessionBroken",
    "SessionExpired",
    "SmsElectronicOnly",
    "StaffOnly",
    "TaskClosed",
    "TaskNotFound",
    "TokenRequired",
    "TooManyCodeRequests",
    "TooManySockets",
    "UnknownActor",
    "UnknownCertificateCode",
    "UnknownQueue",
    "WithdrawalAmountInvalid",
    "WithdrawalByCustomerOnly",
    "WithdrawalRefused",
]


# --- sign-in and rights --------------------------------------------------------------------


class TokenRequired(AuthenticationRequired):
    template = "Нужен заголовок Authorization: Bearer <токен>."


class InvalidToken(AuthenticationRequired):
    code = "invalid_token"
    template = "Некорректный токен."


class SessionExpired(InvalidToken):
    template = "Сессия не найдена или истекла. Войдите снова."


class SessionBroken(InvalidToken):
    template = "Сессия повреждена. Войдите снова."


class AccountDisabled(InvalidToken):
    template = "Учётная запись отключена."


class AccountNotFound(InvalidToken):
    template = "Учётная запись не найдена."


class InvalidCredentials(AuthenticationRequired):
    code = "invalid_credentials"
    template = "Неверный логин или пароль."


class InvalidLoginCode(AuthenticationRequired):
    code = "invalid_code"
    template = "Неверный или просроченный код. Запросите новый код."


class InvalidPhone(InvalidInput):
    """Not a full Russian number (``domain.login.normalize_phone``, the one phone rule)."""

    code = "invalid_phone"
    template = "Укажите номер телефона полностью, например +7 912 345-67-89."


class PhoneMissing(InvalidPhone):
    template = "Укажите номер телефона."


class StaffOnly(PermissionDenied):
    template = "Доступно только сотрудникам поддержки."


class RoleRequired(PermissionDenied):
    template = "Для этого действия не хватает прав."


class FileNotFound(NotFound):
    template = "Такого файла нет."


# --- limits ---------------------------------------------------------------------------------


class LimitReached(RateLimited):
    """A counted limit (``limit``: what was too much; ``wait``: «45 с», «3 мин»)."""

    template = "{limit} Попробуйте через {wait}."


class TooManyCodeRequests(RateLimited):
    template = "Слишком много запросов кода. Попробуйте через {wait}."


class CodeRequestTooSoon(RateLimited):
    template = "Новый код можно запросить через {seconds} с."


class TooManySockets(RateLimited):
    template = "Открыто слишком много окон чата. Закройте лишние вкладки и обновите страницу."


class CertificateLookupLimit(RateLimited):
    code = "lookup_limit"
    template = (
        "Проверять сертификаты можно не больше {per_hour} раз в час. "
        "Попробуйте через {minutes} мин."
    )


# --- customers -----------------------------------------------------------------------------


class InvalidComment(InvalidInput):
    code = "invalid_comment"
    template = "Текст комментария — строка."


class InvalidCommentCharacter(InvalidComment):
    template = "Комментарий содержит недопустимый символ."


class InvalidCommentCharacters(InvalidComment):
    template = "Комментарий содержит недопустимые символы."


class CommentEmpty(InvalidInput):
    code = "comment_empty"
    template = "Комментарий пустой."


class CommentTooLong(InvalidInput):
    code = "comment_too_long"
    template = "Комментарий длиннее {limit} символов."


class NoCouponBan(Conflict):
    code = "no_coupon_ban"
    template = "У покупателя нет бана купонов."


class CouponBanNotLiftable(Conflict):
    """The coupon-ban rule says the ban stays (``reason``: the rule's text for the operator)."""

    code = "coupon_ban_not_liftable"
    template = "{reason}"
    example = "Ограничение снято не будет, задание не создаётся."


class UnknownActor(InvalidInput):
    code = "unknown_actor"
    template = "Сотрудника с логином «{login}» нет."


class InvalidPeriod(InvalidInput):
    code = "invalid_period"
    template = "Дата «с» позже даты «по»."


# --- tasks ---------------------------------------------------------------------------------


class EmptyText(InvalidInput):
    code = "empty_text"
    template = "{field}: поле не может быть пустым."


class UnknownQueue(InvalidInput):
    code = "unknown_queue"
    template = "Неизвестная очередь «{queue}». Доступные очереди: {known}."


_PRIORITIES = [p.value for p in TaskPriority]


class InvalidPriority(InvalidInput):
    code = "invalid_priority"
    template = "Приоритет: " + ", ".join(_PRIORITIES[:-1]) + " или " + _PRIORITIES[-1] + "."


class LinkNotFound(NotFound):
    """A record a task links to is missing (``what``: «Заказ», ``key``: its id)."""

    code = "link_not_found"
    template = "{what} {key} не найден."


class LinkMismatch(Conflict):
    code = "link_mismatch"
    template = "{what} относится к другому покупателю."


class TaskNotFound(NotFound):
    code = "task_not_found"
    template = "Задача {number} не найдена."


class InvalidTaskStatus(InvalidInput):
    code = "invalid_status"
    template = "Статус: new, in_progress, waiting, done или rejected."


class InvalidTransition(Conflict):
    """A task cannot move between these statuses (``reason``: the rule's text)."""

    code = "invalid_transition"
    template = "{reason}"
    example = "Нельзя перевести задачу из статуса «Выполнена» в статус «Новая»."


class ReasonRequired(InvalidInput):
    code = "reason_required"
    template = "Укажите причину отклонения."


class InvalidTaskOutcome(InvalidInput):
    code = "invalid_outcome"
    template = "Итог задачи: lifted, kept, corrected, done или rejected."


class OutcomeRequired(InvalidInput):
    """A task of a queue with typed outcomes is done without saying how."""

    code = "outcome_required"
    template = "Укажите итог задачи: {allowed}."
    example = (
        "Укажите итог задачи: «Ограничение снято» (lifted) или «Ограничение сохранено» (kept)."
    )


class OutcomeNotAllowed(InvalidInput):
    code = "outcome_not_allowed"
    template = "Этот итог не подходит к задаче: {reason}"
    example = "Этот итог не подходит к задаче: возможны «Выполнено» (done)."


class OutcomeTargetMissing(Conflict):
    """The outcome changes data the task is not linked to (a ban, a product)."""

    code = "outcome_target_missing"
    template = "{reason}"
    example = "У покупателя задачи нет действующего бана купонов: снять нечего."


class ResultRefusedByGuard(Conflict):
    """The customer's result text would disclose what must not be disclosed (a template's
    fault: the task is left as it was)."""

    code = "result_refused_by_guard"
    template = (
        "Ответ клиенту по задаче не отправлен: проверка конфиденциальности его не пропустила "
        "({reasons}). Задача не изменена; сообщите администратору шаблонов."
    )


class OrderNotFound(NotFound):
    code = "order_not_found"
    template = "Заказ {number} не найден."


class ReturnItemNotInOrder(InvalidInput):
    code = "return_item_not_in_order"
    template = "Товара {product_id} нет в заказе {number}."


class ReturnQuantityTooLarge(InvalidInput):
    code = "return_quantity_too_large"
    template = "Вернуть можно не больше, чем заказано: «{name}» — {ordered} шт."


class ReturnRefused(Conflict):
    """The return terms refuse the request (``refusal``: not_received, term_ended, no_term,
    certificate, digital_goods; ``last_day``: the last day of the term, when one decided)."""

    code = "return_refused"
    template = "{reasons}"
    example = "Срок возврата товара надлежащего качества закончился 08.03.2026."


class SearchQueryEmpty(InvalidInput):
    code = "search_query_empty"
    template = "Введите телефон, e-mail, номер заказа, ID или имя клиента."


class SearchQueryTooLong(InvalidInput):
    code = "search_query_too_long"
    template = "Слишком длинный запрос: не больше 200 символов."


class SearchQueryUnclear(InvalidInput):
    code = "search_query_unclear"
    template = (
        "Не понятно, что искать. Введите телефон (+7 916 123-45-67), e-mail, номер заказа "
        "(58561573-0011), ID клиента или начало имени (не меньше двух букв)."
    )


class TaskClosed(Conflict):
    code = "task_closed"
    template = "Задача закрыта, её нельзя переназначить."


class NotBackofficeAgent(InvalidInput):
    code = "not_a_backoffice_agent"
    template = "Задачи бэк-офиса назначаются сотрудникам бэк-офиса или супервизорам."


# --- products, news, the knowledge base ----------------------------------------------------


class ProductNotFound(NotFound):
    code = "product_not_found"
    template = "Товар с кодом {product_id} не найден."


class EmptyQuery(InvalidInput):
    code = "empty_query"
    template = "Введите код товара или слова из названия."


class NoSearchWords(EmptyQuery):
    template = "В запросе нет ни одного слова для поиска."


class QueryTooLong(InvalidInput):
    code = "query_too_long"
    template = "Запрос длиннее {limit} символов."


class InvalidDateRange(InvalidInput):
    code = "invalid_date_range"
    template = "Дата начала позже даты окончания."


class NewsNotFound(NotFound):
    code = "news_not_found"
    template = "Новость {news_id} не найдена."


class LoginToReport(PermissionDenied):
    code = "login_required"
    template = "Войдите, чтобы сообщить о неточности."


class LoginToActivate(LoginToReport):
    template = "Войдите в личный кабинет, чтобы активировать сертификат."


class KnowledgeBaseUnavailable(Unavailable):
    code = "kb_unavailable"
    template = "База знаний ещё загружается. Повторите через минуту."


class InvalidMarkdownReason(InvalidInput):
    code = "invalid_reason"
    template = "Причина уценки: от 1 до 500 символов."


class MarkdownRefused(InvalidInput):
    """The markdown rule refuses the grade (``reason``: the rule's text)."""

    abstract = True
    template = "{reason}"


class InvalidGrade(MarkdownRefused):
    code = "invalid_grade"
    example = "Балл уценки 9 не существует: допустимы баллы от 1 до 7."


class ExcludedGroup(MarkdownRefused):
    code = "excluded_group"
    example = "Товары группы «Ювелирные изделия» уценке не подлежат."


class GradeNotForGroup(MarkdownRefused):
    code = "grade_not_for_group"
    example = "Балл уценки 6 применяется только к электронике и бытовой технике."


class PriceOutOfRange(MarkdownRefused):
    code = "price_out_of_range"
    example = "Балл уценки 6 не подходит: базовая стоимость товара 1 000 ₽, а этот балл ставится …"


MARKDOWN_REFUSALS: Final[Mapping[MarkdownCheck, type[MarkdownRefused]]] = MappingProxyType(
    {
        MarkdownCheck.INVALID_GRADE: InvalidGrade,
        MarkdownCheck.EXCLUDED_GROUP: ExcludedGroup,
        MarkdownCheck.GRADE_NOT_FOR_GROUP: GradeNotForGroup,
        MarkdownCheck.PRICE_OUT_OF_RANGE: PriceOutOfRange,
    }
)


# --- money: withdrawals and gift certificates ----------------------------------------------


class InvalidAmount(InvalidInput):
    code = "invalid_amount"
    template = "Сумма: укажите число рублей, например 150.50."


class AmountTooLarge(InvalidAmount):
    template = "Сумма: укажите число рублей не больше миллиарда."


class AmountTooPrecise(InvalidAmount):
    template = "Сумма: не больше двух знаков после запятой."


class WithdrawalAmountInvalid(InvalidAmount):
    """The withdrawal rule's own refusal of the amount (``reason``: its text)."""

    template = "{reason}"
    example = "Укажите сумму вывода больше нуля."


class WithdrawalByCustomerOnly(PermissionDenied):
    code = "customer_only"
    template = "Вывести деньги может только сам покупатель в личном кабинете."


class WithdrawalRefused(InvalidInput):
    """The withdrawal rule refuses (``reason``: the rule's text, with the amounts)."""

    abstract = True
    template = "{reason}"


class ExceedsBalance(WithdrawalRefused):
    code = "exceeds_balance"
    example = "Сумма вывода больше доступного остатка: вывести можно не более 500 ₽. …"


class BelowMinimum(WithdrawalRefused):
    code = "below_minimum"
    example = "Минимальная сумма вывода — 100 ₽."


class MustWithdrawAll(WithdrawalRefused):
    code = "must_withdraw_all"
    example = "На балансе меньше 100 ₽, поэтому вывести можно только всю сумму целиком: 40 ₽."


WITHDRAWAL_REFUSALS: Final[Mapping[WithdrawalRefusal, type[ServiceError]]] = MappingProxyType(
    {
        WithdrawalRefusal.INVALID_AMOUNT: WithdrawalAmountInvalid,
        WithdrawalRefusal.EXCEEDS_BALANCE: ExceedsBalance,
        WithdrawalRefusal.BELOW_MINIMUM: BelowMinimum,
        WithdrawalRefusal.MUST_WITHDRAW_ALL: MustWithdrawAll,
    }
)


class InvalidCertificateKind(InvalidInput):
    code = "invalid_kind"
    template = "Вид сертификата: electronic или plastic."


class SmsElectronicOnly(InvalidInput):
    code = "sms_electronic_only"
    template = "По SMS отправляется только электронный сертификат."


class InvalidNominal(InvalidInput):
    code = "invalid_nominal"
    template = "Номинал {nominal} ₽ не выпускается. Доступные номиналы: {listed}."


class InvalidCertificateCode(InvalidInput):
    code = "invalid_certificate_code"
    template = "Введите код активации сертификата."


class CertificateCodeLength(InvalidCertificateCode):
    template = (
        "Введите код сертификата целиком ({length} символов) или последние {tail} символа "
        "с пластикового сертификата."
    )


class OperatorMayNotActivate(PermissionDenied):
    code = "operator_may_not_activate"
    template = OPERATOR_MAY_NOT_ACTIVATE_RU


class CertificateRefused(InvalidInput):
    """The activation rule refuses: its fixed text, then ``retry`` (when the next activation
    is possible, or empty)."""

    abstract = True
    template = "{reason}{retry}"


class UnknownCertificateCode(CertificateRefused):
    code = "unknown_code"
    example = REFUSAL_MESSAGES_RU[CertificateRefusal.UNKNOWN_CODE]


class CertificateAlreadyUsed(CertificateRefused):
    code = "already_used"
    example = REFUSAL_MESSAGES_RU[CertificateRefusal.ALREADY_USED]


class CertificateDailyLimit(CertificateRefused):
    code = "daily_limit"
    example = REFUSAL_MESSAGES_RU[CertificateRefusal.DAILY_LIMIT]


class CertificateLegalEntity(CertificateRefused):
    code = "legal_entity"
    example = REFUSAL_MESSAGES_RU[CertificateRefusal.LEGAL_ENTITY]


class CertificateExpired(CertificateRefused):
    code = "expired"
    example = REFUSAL_MESSAGES_RU[CertificateRefusal.EXPIRED]


CERTIFICATE_REFUSALS: Final[Mapping[CertificateRefusal, type[CertificateRefused]]] = (
    MappingProxyType(
        {
            CertificateRefusal.UNKNOWN_CODE: UnknownCertificateCode,
            CertificateRefusal.ALREADY_USED: CertificateAlreadyUsed,
            CertificateRefusal.DAILY_LIMIT: CertificateDailyLimit,
            CertificateRefusal.LEGAL_ENTITY: CertificateLegalEntity,
            CertificateRefusal.EXPIRED: CertificateExpired,
        }
    )
)
