"""Rules that decide before ranking: a person is asked for, an action on the account
is needed, or confidential data is asked for. They read lemmas, so word forms,
typos fixed by normalisation and word order do not matter."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from marketdesk.text.analyzer import Analysis

__all__ = ["ORDER_NUMBER_RE", "Intent", "RuleMatch", "detect"]

#: An order number as customers see it: «58561573-0011» (customer id, dash, order).
ORDER_NUMBER_RE = re.compile(r"(?<!\d)\d{6,10}\s?[-–—]\s?\d{3,5}(?!\d)")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


class Intent(Enum):
    PERSON = "person"  # wants a human
    ACTION = "action"  # needs an action on the account or an order
    CONFIDENTIAL = "confidential"  # asks for data support never discloses


@dataclass(frozen=True, slots=True)
class RuleMatch:
    intent: Intent
    reason: str  # short code: which rule fired


PERSON_WORDS = _words(
    "оператор человек сотрудник специалист менеджер консультант живой человечек "
    "саппорт "
)
PERSON_STRONG = _words("оператор живой менеджер консультант")
PERSON_VERBS = _words(
    "позвать звать перевести переведите соединить переключить вызвать поговорить "
    "пообщаться связать связаться дать нужный нужен хотеть надо нужно подключить "
    "пригласить "
)
PERSON_FILLER = _words("бот робот не а настоящий реальный нормальный")

ORDER_OBJECTS = _words("заказ доставка адрес дата время срок получатель пвз товар покупка")
CHANGE_VERBS = _words("отменить отмена поменять изменить перенести переоформить исправить сменить")
MONEY = _words("деньга средство сумма оплата платеж рубль")
REFUND = _words("вернуть возврат возвратить компенсировать компенсация")
CHARGE = _words("списать списание снять списаться оплатить заплатить")
DEBIT = _words("списать списание снять списаться")  # «с карты списали деньги»
TWICE = _words("дважды двойной повторно повторный лишний два раз второй")
HACK = _words("взломать взлом взломанный угнать украсть")
GOODS = _words("товар заказ покупка вещь")
LOST = _words("потеряться потерять задерживаться задержка опаздывать опоздать застрять")
NOT_ARRIVED = _words("не_приходить не_доставить не_привезти")
DEFECT = _words(
    "брак бракованный сломанный сломать разбитый разбить поврежденный повредить "
    "испорченный подделка"
)
ARRIVED = _words("приходить привезти доставить получить")
ACCOUNT_DATA = _words("телефон номер email почта аккаунт пароль логин")
ACCOUNT_CHANGE = CHANGE_VERBS | _words("удалить отвязать привязать восстановить")
SELLER_SELF = _words("покупатель отгрузка реквизит поставщик")
# «не пришёл промокод / код / смс на заказ» is not a lost order
NOT_GOODS = _words("промокод смс push уведомление код балл сертификат купон письмо email приз")

CROSS = _words("пересечение пересекаться")
LINKED = _words("связанный связать привязать привязанный пересекаться совпадать")
ACCOUNT = _words("аккаунт учетка профиль")
PERSONAL_DATA = _words(
    "данные телефон адрес номер контакт фамилия имя email почта паспорт фио рождения "
    "персональный "
)
OTHER_PERSON = _words(
    "другой чужой посторонний чей муж жена сосед соседка брат сестра мать отец мама папа "
    "сын дочь родственник коллега бывший бывшая"
)
SECRET = _words("выручка оборот прибыль зарплата маржа маржинальность")
INTERNAL = _words("внутренний закрытый секретный конфиденциальный служебный")
INTERNAL_OBJ = _words(
    "статистика данные документ информация отчет регламент инструкция цифра база правило "
    "алгоритм критерий переписка"
)
DISCLOSE = _words("назвать сказать раскрыть дать показать сообщить выдать слить")
COMMERCIAL = frozenset({"коммерческий"})
PEOPLE_BASE = _words("клиент покупатель пользователь номер")  # «база клиентов»


#: every word the rules look for (the index's typo corrector knows them too)
LEXICON = frozenset(
    w
    for name, value in list(globals().items())
    if name.isupper() and isinstance(value, frozenset)
    for w in value
    if isinstance(w, str) and w.isalpha() and len(w) >= 4
)


def detect(analysis: Analysis, raw_text: str) -> RuleMatch | None:
    """The first rule that fires, by priority: confidential, action, person."""
    lem = set(analysis.lemmas)

    # ---- confidential data: refuse
    if lem & CROSS:
        return RuleMatch(Intent.CONFIDENTIAL, "intersections")
    asks_which = lem & {"какой", "кто", "чей", "список"} or lem & DISCLOSE
    if lem & ACCOUNT and lem & LINKED and asks_which:
        return RuleMatch(Intent.CONFIDENTIAL, "linked_accounts")
    if lem & OTHER_PERSON and (
        lem & PERSONAL_DATA or (lem & _words("аккаунт заказ") and (lem & DISCLOSE or "чей" in lem))
    ):
        return RuleMatch(Intent.CONFIDENTIAL, "other_person")
    if lem & SECRET and (lem & {"ozon", "компания", "маркетплейс", "продавец", "сотрудник"}):
        return RuleMatch(Intent.CONFIDENTIAL, "commercial")
    if "база" in lem and "знание" not in lem and lem & PEOPLE_BASE:
        return RuleMatch(Intent.CONFIDENTIAL, "other_person")
    if lem & INTERNAL and lem & INTERNAL_OBJ:
        return RuleMatch(Intent.CONFIDENTIAL, "commercial")
    if lem & COMMERCIAL and "тайна" in lem and lem & DISCLOSE:
        return RuleMatch(Intent.CONFIDENTIAL, "commercial")

    # ---- an action on the account or an order: handoff
    if ORDER_NUMBER_RE.search(raw_text):
        return RuleMatch(Intent.ACTION, "order_number")
    if lem & HACK:
        return RuleMatch(Intent.ACTION, "hacked")
    if lem & CHARGE and lem & TWICE:
        return RuleMatch(Intent.ACTION, "double_charge")
    wants_refund = (
        lem & MONEY or lem & {"оформить", "сделать"} or set(analysis.imperatives) & REFUND
    )
    if lem & REFUND and wants_refund:
        return RuleMatch(Intent.ACTION, "refund")
    if lem & CHANGE_VERBS and lem & ORDER_OBJECTS:
        return RuleMatch(Intent.ACTION, "change_order")
    if lem & DEBIT and lem & MONEY and not lem & _words("баланс сертификат вывести"):
        return RuleMatch(Intent.ACTION, "charge")
    if lem & REFUND and lem & GOODS and not lem & SELLER_SELF:
        return RuleMatch(Intent.ACTION, "refund")
    terms = set(analysis.terms(bigrams=False))
    if lem & GOODS and (lem & LOST or terms & NOT_ARRIVED) and not lem & NOT_GOODS:
        return RuleMatch(Intent.ACTION, "order_problem")
    if lem & DEFECT and lem & ARRIVED:
        return RuleMatch(Intent.ACTION, "defect")
    if lem & ACCOUNT_CHANGE and lem & ACCOUNT_DATA and not lem & SELLER_SELF:
        return RuleMatch(Intent.ACTION, "account_change")

    # ---- a person: handoff
    if lem & PERSON_WORDS:
        content = set(analysis.content)
        asks = lem & PERSON_VERBS or content <= (PERSON_WORDS | PERSON_VERBS | PERSON_FILLER)
        if asks and (lem & PERSON_STRONG or lem & PERSON_VERBS or content <= PERSON_WORDS):
            return RuleMatch(Intent.PERSON, "person")
        if content and content <= (PERSON_WORDS | PERSON_FILLER):  # «ты человек или бот?»
            return RuleMatch(Intent.PERSON, "person")
    annoyed = lem & {"не", "надоесть", "тупой", "бесполезный"}
    if "бот" in lem and annoyed and len(analysis.content) <= 4:
        return RuleMatch(Intent.PERSON, "not_a_bot")
    return None
