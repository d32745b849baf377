"""Rules that decide before ranking: a person is asked for, an action on the account
is needed, or confidential data is asked for. They read lemmas, so word forms,
typos fixed by normalisation and word order do not matter."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from itertools import pairwise

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
    NO_ARTICLE = "no_article"  # a marketplace question the knowledge base has no article for


@dataclass(frozen=True, slots=True)
class RuleMatch:
    intent: Intent
    reason: str  # short code: which rule fired


PERSON_WORDS = _words(
    "оператор человек сотрудник специалист менеджер консультант живой человечек саппорт "
)
PERSON_STRONG = _words("оператор живой менеджер консультант")
PERSON_VERBS = _words(
    "позвать звать перевести переведите соединить переключить вызвать поговорить "
    "пообщаться связать связаться дать нужный нужен хотеть надо нужно подключить "
    "пригласить "
)
PERSON_FILLER = _words("бот робот не а настоящий реальный нормальный")

ORDER_OBJECTS = _words("заказ доставка адрес дата время срок получатель пвз товар покупка")
CHANGE_VERBS = _words(
    "отменить отмена поменять изменить перенести переоформить исправить сменить отказаться"
)
MONEY = _words("деньга средство сумма оплата платеж рубль")
REFUND = _words("вернуть возврат возвратить компенсировать компенсация вернуться")
CHARGE = _words("списать списание снять списаться оплатить заплатить")
DEBIT = _words("списать списание снять списаться")  # «с карты списали деньги»
TWICE = _words("дважды двойной повторно повторный лишний два раз второй")
HACK = _words("взломать взлом взломанный")
STEAL = _words("угнать украсть воровство")  # only with the account: «украли аккаунт»
STOLEN = _words("аккаунт учетка профиль пароль личныйкабинет")
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
LINKED = _words(
    "связанный связать привязать привязанный пересекаться совпадать совпадение общий "
    "одинаковый связь связанность"
)
ACCOUNT = _words("аккаунт учетка профиль")
# «на кого зарегистрирован этот номер», «чей это аккаунт», «кому принадлежит карта»
OWNER_VERBS = _words("зарегистрировать оформить принадлежать записать привязать числиться")
OWNER_OBJECTS = _words("аккаунт номер телефон карта почта email профиль заказ")
PERSONAL_DATA = _words(
    "данные телефон адрес номер контакт фамилия имя email почта паспорт фио рождения персональный "
)
# «другой», «чужой» only with a person («другого клиента»): «на другой адрес» is not
OTHER_ADJ = _words("другой чужой посторонний")
STRANGER = _words("чужой посторонний")
OTHER_NOUN = _words("клиент покупатель человек пользователь лицо аккаунт людь продавец пассажир")
OTHER_PERSON = _words(
    "чей муж жена сосед соседка брат сестра мать отец мама папа сын дочь родственник "
    "коллега бывший бывшая владелец хозяин подруга друг девушка парень"
)
# what a relative's or a stranger's account holds
OTHER_OBJECTS = _words("аккаунт заказ переписка сообщение история покупка чат обращение")
SECRET = _words("выручка оборот прибыль зарплата маржа маржинальность")
INTERNAL = _words("внутренний закрытый секретный конфиденциальный служебный")
INTERNAL_OBJ = _words(
    "статистика данные документ информация отчет регламент инструкция цифра база правило "
    "алгоритм критерий переписка"
)
DISCLOSE = _words("назвать сказать раскрыть дать показать сообщить выдать слить")
COMMERCIAL = frozenset({"коммерческий"})
BLOCKED = _words("заблокировать блокировка забанить бан блокировать")
PAYMENT = _words("оплатить оплата платеж")
FAILURE = _words("ошибка сбой глючить зависать зависнуть отклонить")
PEOPLE_BASE = _words("клиент покупатель пользователь номер")  # «база клиентов»

# Marketplace questions without an article: an operator answers them (seed 002:
# support helps to «рассчитать стоимость доставки»; Premium is named in seed 000
# only as a label). Answering them from a nearby article would be wrong.
PREMIUM = _words("premium премиум")
DELIVERY = _words("доставка доставить доставлять")
PRICE = _words("стоить стоимость цена платный бесплатный бесплатно тариф дорого рубль сколько")
CROSSBORDER = _words("рубеж зарубежный crossborder заграница граница китай импорт")
EXCHANGE = _words("обменять обмен обменивать")


#: every word the rules look for (the index's typo corrector knows them too)
LEXICON = frozenset(
    w
    for name, value in list(globals().items())
    if name.isupper() and isinstance(value, frozenset)
    for w in value
    if isinstance(w, str) and w.isalpha() and len(w) >= 4
)


class _Message:
    """What the rules read from one message; the derived sets are built on first use."""

    def __init__(self, analysis: Analysis, raw_text: str) -> None:
        self.analysis = analysis
        self.raw_text = raw_text
        self.lem = set(analysis.lemmas)

    @cached_property
    def terms(self) -> set[str]:
        return set(self.analysis.terms(bigrams=False))

    @cached_property
    def content(self) -> set[str]:
        return set(self.analysis.content)


# ---- confidential data: refuse


def _asks_intersections(m: _Message) -> bool:
    return bool(m.lem & CROSS)


def _asks_linked_accounts(m: _Message) -> bool:
    lem = m.lem
    asks_which = lem & {"какой", "кто", "чей", "список"} or lem & DISCLOSE
    return bool(lem & ACCOUNT and lem & LINKED and asks_which)


def _asks_about_someone_else(m: _Message) -> bool:
    lem = m.lem
    someone_else = (
        lem & OTHER_PERSON
        or (lem & OTHER_ADJ and lem & OTHER_NOUN)
        or lem & STRANGER  # «чужие заказы»: «чужой» needs no person
    )
    return bool(
        someone_else
        and (lem & PERSONAL_DATA or (lem & OTHER_OBJECTS and (lem & DISCLOSE or "чей" in lem)))
    )


def _asks_company_figures(m: _Message) -> bool:
    lem = m.lem
    company = {"ozon", "компания", "маркетплейс", "продавец", "сотрудник"}
    # «сколько зарабатывает Ozon» (not «как заработать на Ozon»: the customer earns)
    earns = "зарабатывать" in lem and "сколько" in lem and not lem & {"я", "можно", "мочь"}
    return bool((lem & SECRET or earns) and lem & company)


def _asks_people_base(m: _Message) -> bool:
    lem = m.lem
    return bool("база" in lem and "знание" not in lem and lem & PEOPLE_BASE)


def _asks_internal_documents(m: _Message) -> bool:
    return bool(m.lem & INTERNAL and m.lem & INTERNAL_OBJ)


def _asks_trade_secret(m: _Message) -> bool:
    lem = m.lem
    return bool(lem & COMMERCIAL and "тайна" in lem and lem & DISCLOSE)


def _asks_owner(m: _Message) -> bool:
    lem = m.lem
    return bool(lem & OWNER_VERBS and lem & {"кто", "чей"} and lem & OWNER_OBJECTS)


# ---- an action on the account or an order: handoff


def _names_order_number(m: _Message) -> bool:
    return ORDER_NUMBER_RE.search(m.raw_text) is not None


def _account_hacked(m: _Message) -> bool:
    lem = m.lem
    return bool(lem & HACK or (lem & STEAL and lem & STOLEN))


def _charged_twice(m: _Message) -> bool:
    return bool(m.lem & CHARGE and m.lem & TWICE)


def _wants_refund(m: _Message) -> bool:
    lem = m.lem
    wants_refund = (
        lem & MONEY or lem & {"оформить", "сделать"} or set(m.analysis.imperatives) & REFUND
    )
    certificate = "сертификат" in lem  # «вернуть сертификат»: it cannot be annulled
    return bool(lem & REFUND and wants_refund and not certificate)


def _wants_order_changed(m: _Message) -> bool:
    return bool(m.lem & CHANGE_VERBS and m.lem & ORDER_OBJECTS)


def _money_debited(m: _Message) -> bool:
    lem = m.lem
    return bool(lem & DEBIT and lem & MONEY and not lem & _words("баланс сертификат вывести"))


def _wants_goods_returned(m: _Message) -> bool:
    lem = m.lem
    return bool(lem & REFUND and lem & GOODS and not lem & SELLER_SELF)


def _order_lost(m: _Message) -> bool:
    lem = m.lem
    return bool(lem & GOODS and (lem & LOST or m.terms & NOT_ARRIVED) and not lem & NOT_GOODS)


def _arrived_defective(m: _Message) -> bool:
    return bool(m.lem & DEFECT and m.lem & ARRIVED)


def _arrived_wrong_item(m: _Message) -> bool:
    """«привезли не тот товар», «перепутали заказ»"""
    lem = m.lem
    wrong = "перепутать" in lem or any(
        a == "не" and b in ("тот", "такой", "мой") for a, b in pairwise(m.analysis.lemmas)
    )
    return bool(wrong and lem & ARRIVED and lem & GOODS)


def _wants_account_changed(m: _Message) -> bool:
    lem = m.lem
    return bool(lem & ACCOUNT_CHANGE and lem & ACCOUNT_DATA and not lem & SELLER_SELF)


def _account_blocked(m: _Message) -> bool:
    """«мой аккаунт заблокировали» (not the coupon ban: that has an article)"""
    lem = m.lem
    return bool(
        lem & BLOCKED and lem & (ACCOUNT | {"личныйкабинет"}) and not lem & _words("купон промокод")
    )


def _payment_failed(m: _Message) -> bool:
    """«не проходит оплата», «оплата выдаёт ошибку»"""
    lem = m.lem
    return bool(lem & PAYMENT and (lem & FAILURE or m.terms & _words("не_проходить не_получаться")))


# ---- a person: handoff


def _asks_for_person(m: _Message) -> bool:
    lem = m.lem
    if not lem & PERSON_WORDS:
        return False
    content = m.content
    asks = lem & PERSON_VERBS or content <= (PERSON_WORDS | PERSON_VERBS | PERSON_FILLER)
    if asks and (lem & PERSON_STRONG or lem & PERSON_VERBS or content <= PERSON_WORDS):
        return True
    return bool(content and content <= (PERSON_WORDS | PERSON_FILLER))  # «ты человек или бот?»


def _annoyed_by_bot(m: _Message) -> bool:
    lem = m.lem
    annoyed = lem & {"не", "надоесть", "тупой", "бесполезный", "глупый", "дурацкий"}
    return bool("бот" in lem and annoyed and len(m.analysis.content) <= 5)


# ---- a marketplace question without an article: handoff


def _asks_premium(m: _Message) -> bool:
    return bool(m.lem & PREMIUM)


def _asks_delivery_cost(m: _Message) -> bool:
    lem = m.lem
    return bool(
        lem & DELIVERY and lem & PRICE and not lem & CROSSBORDER and "сертификат" not in lem
    )


def _asks_exchange(m: _Message) -> bool:
    return bool(m.lem & EXCHANGE and not m.lem & _words("сертификат балл баланс"))


#: the rules by priority (confidential, action, person, no article): the first that fires wins
_RULES: tuple[tuple[RuleMatch, Callable[[_Message], bool]], ...] = (
    (RuleMatch(Intent.CONFIDENTIAL, "intersections"), _asks_intersections),
    (RuleMatch(Intent.CONFIDENTIAL, "linked_accounts"), _asks_linked_accounts),
    (RuleMatch(Intent.CONFIDENTIAL, "other_person"), _asks_about_someone_else),
    (RuleMatch(Intent.CONFIDENTIAL, "commercial"), _asks_company_figures),
    (RuleMatch(Intent.CONFIDENTIAL, "other_person"), _asks_people_base),
    (RuleMatch(Intent.CONFIDENTIAL, "commercial"), _asks_internal_documents),
    (RuleMatch(Intent.CONFIDENTIAL, "commercial"), _asks_trade_secret),
    (RuleMatch(Intent.CONFIDENTIAL, "other_person"), _asks_owner),
    (RuleMatch(Intent.ACTION, "order_number"), _names_order_number),
    (RuleMatch(Intent.ACTION, "hacked"), _account_hacked),
    (RuleMatch(Intent.ACTION, "double_charge"), _charged_twice),
    (RuleMatch(Intent.ACTION, "refund"), _wants_refund),
    (RuleMatch(Intent.ACTION, "change_order"), _wants_order_changed),
    (RuleMatch(Intent.ACTION, "charge"), _money_debited),
    (RuleMatch(Intent.ACTION, "refund"), _wants_goods_returned),
    (RuleMatch(Intent.ACTION, "order_problem"), _order_lost),
    (RuleMatch(Intent.ACTION, "defect"), _arrived_defective),
    (RuleMatch(Intent.ACTION, "wrong_item"), _arrived_wrong_item),
    (RuleMatch(Intent.ACTION, "account_change"), _wants_account_changed),
    (RuleMatch(Intent.ACTION, "account_blocked"), _account_blocked),
    (RuleMatch(Intent.ACTION, "payment_failed"), _payment_failed),
    (RuleMatch(Intent.PERSON, "person"), _asks_for_person),
    (RuleMatch(Intent.PERSON, "not_a_bot"), _annoyed_by_bot),
    (RuleMatch(Intent.NO_ARTICLE, "premium"), _asks_premium),
    (RuleMatch(Intent.NO_ARTICLE, "delivery_cost"), _asks_delivery_cost),
    (RuleMatch(Intent.NO_ARTICLE, "exchange"), _asks_exchange),
)


def detect(analysis: Analysis, raw_text: str) -> RuleMatch | None:
    """The first rule that fires, by priority: confidential, action, person, no article."""
    message = _Message(analysis, raw_text)
    for match, fires in _RULES:
        if fires(message):
            return match
    return None
