"""Rules that decide before ranking: a person is asked for, an action on the account
is needed, or confidential data is asked for. They read lemmas, so word forms,
typos fixed by normalisation and word order do not matter."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
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
    "данные телефон адрес номер контакт фамилия имя email почта паспорт фио рождения "
    "персональный "
)
# «другой», «чужой» only with a person («другого клиента»): «на другой адрес» is not
OTHER_ADJ = _words("другой чужой посторонний")
STRANGER = _words("чужой посторонний")
OTHER_NOUN = _words("клиент покупатель человек пользователь лицо аккаунт людь продавец")
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


def detect(analysis: Analysis, raw_text: str) -> RuleMatch | None:
    """The first rule that fires, by priority: confidential, action, person."""
    lem = set(analysis.lemmas)

    # ---- confidential data: refuse
    if lem & CROSS:
        return RuleMatch(Intent.CONFIDENTIAL, "intersections")
    asks_which = lem & {"какой", "кто", "чей", "список"} or lem & DISCLOSE
    if lem & ACCOUNT and lem & LINKED and asks_which:
        return RuleMatch(Intent.CONFIDENTIAL, "linked_accounts")
    someone_else = (
        lem & OTHER_PERSON
        or (lem & OTHER_ADJ and lem & OTHER_NOUN)
        or lem & STRANGER  # «чужие заказы»: «чужой» needs no person
    )
    if someone_else and (
        lem & PERSONAL_DATA or (lem & OTHER_OBJECTS and (lem & DISCLOSE or "чей" in lem))
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
    if lem & OWNER_VERBS and lem & {"кто", "чей"} and lem & OWNER_OBJECTS:
        return RuleMatch(Intent.CONFIDENTIAL, "other_person")

    # ---- an action on the account or an order: handoff
    if ORDER_NUMBER_RE.search(raw_text):
        return RuleMatch(Intent.ACTION, "order_number")
    if lem & HACK or (lem & STEAL and lem & STOLEN):
        return RuleMatch(Intent.ACTION, "hacked")
    if lem & CHARGE and lem & TWICE:
        return RuleMatch(Intent.ACTION, "double_charge")
    wants_refund = (
        lem & MONEY or lem & {"оформить", "сделать"} or set(analysis.imperatives) & REFUND
    )
    certificate = "сертификат" in lem  # «вернуть сертификат»: it cannot be annulled
    if lem & REFUND and wants_refund and not certificate:
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
    # «привезли не тот товар», «перепутали заказ»
    lemmas = analysis.lemmas
    wrong = "перепутать" in lem or any(
        a == "не" and b in ("тот", "такой", "мой") for a, b in pairwise(lemmas)
    )
    if wrong and lem & ARRIVED and lem & GOODS:
        return RuleMatch(Intent.ACTION, "wrong_item")
    if lem & ACCOUNT_CHANGE and lem & ACCOUNT_DATA and not lem & SELLER_SELF:
        return RuleMatch(Intent.ACTION, "account_change")
    # «мой аккаунт заблокировали» (not the coupon ban: that has an article)
    if lem & BLOCKED and lem & (ACCOUNT | {"личныйкабинет"}) and not lem & _words("купон промокод"):
        return RuleMatch(Intent.ACTION, "account_blocked")
    # «не проходит оплата», «оплата выдаёт ошибку»
    if lem & PAYMENT and (lem & FAILURE or terms & _words("не_проходить не_получаться")):
        return RuleMatch(Intent.ACTION, "payment_failed")

    # ---- a person: handoff
    if lem & PERSON_WORDS:
        content = set(analysis.content)
        asks = lem & PERSON_VERBS or content <= (PERSON_WORDS | PERSON_VERBS | PERSON_FILLER)
        if asks and (lem & PERSON_STRONG or lem & PERSON_VERBS or content <= PERSON_WORDS):
            return RuleMatch(Intent.PERSON, "person")
        if content and content <= (PERSON_WORDS | PERSON_FILLER):  # «ты человек или бот?»
            return RuleMatch(Intent.PERSON, "person")
    annoyed = lem & {"не", "надоесть", "тупой", "бесполезный", "глупый", "дурацкий"}
    if "бот" in lem and annoyed and len(analysis.content) <= 5:
        return RuleMatch(Intent.PERSON, "not_a_bot")

    # ---- a marketplace question without an article: handoff
    if lem & PREMIUM:
        return RuleMatch(Intent.NO_ARTICLE, "premium")
    if lem & DELIVERY and lem & PRICE and not lem & CROSSBORDER and "сертификат" not in lem:
        return RuleMatch(Intent.NO_ARTICLE, "delivery_cost")
    if lem & EXCHANGE and not lem & _words("сертификат балл баланс"):
        return RuleMatch(Intent.NO_ARTICLE, "exchange")
    return None
