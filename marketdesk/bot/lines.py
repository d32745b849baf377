"""The bot on the other support lines (issue 14, item 8).

- The seller line (``seller``) answers from the seller articles only: a seller asking
  about returns or payouts must not get the buyer's answer.
- The Travel line (``travel_priority``, or ``travel``) knows the Travel topics of seed 002
  first: a question about a ticket, a hotel or the priority line goes to the Travel
  articles, and «вернуть деньги за билет» is answered («бот оформит возврат средств за
  билеты и рассчитает сумму») rather than handed off as a refund of an order.
- On every line, questions about commercial secrets, internal data or other customers are
  refused by the confidential rules, before anything else.
"""

from __future__ import annotations

from marketdesk.bot.rules import Intent, RuleMatch
from marketdesk.kb.articles import Article
from marketdesk.kb.index import KbIndex, Query, SearchResult
from marketdesk.text.analyzer import Analysis

__all__ = [
    "SELLER",
    "TRAVEL_LINES",
    "audiences",
    "confidential",
    "is_travel",
    "rule_applies",
    "search",
    "travel_article",
]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


SELLER = "seller"
TRAVEL_LINES = frozenset({"travel_priority", "travel"})
CUSTOMER_AUDIENCES = ("customer", "seller")
SELLER_AUDIENCES = ("seller",)
#: a Travel article leads on the Travel line when it scores at least this share of the best
TRAVEL_SHARE = 0.4
TRAVEL_PREFIX = "travel"
_WORDS_OF_TRAVEL = (
    "билет авиабилет жд поезд самолет самолёт рейс перелет перелёт отель гостиница бронь "
    "бронирование забронировать ваучер travel трэвел тревел страховка полис путешествие "
    "поездка тур страховой"
)
TRAVEL_WORDS = _words(_WORDS_OF_TRAVEL)


def is_travel(line: str | None) -> bool:
    return line in TRAVEL_LINES


def audiences(line: str | None) -> tuple[str, ...]:
    """Whose articles a line answers from."""
    return SELLER_AUDIENCES if line == SELLER else CUSTOMER_AUDIENCES


def rule_applies(rule: RuleMatch, line: str | None, analysis: Analysis) -> bool:
    """Confidential and person rules apply everywhere; on the Travel line a question about
    tickets or hotels is a Travel topic, not an action on a marketplace order."""
    if rule.intent in (Intent.CONFIDENTIAL, Intent.PERSON) or not is_travel(line):
        return True
    return not (set(analysis.lemmas) & TRAVEL_WORDS)


#: on the seller line a buyer is another person: their contacts are never given
_BUYER = frozenset({"покупатель", "клиент", "получатель", "заказчик"})
_BUYER_DATA = _words("телефон номер адрес почта email контакт фамилия имя фио паспорт данные")
SELLER_BUYER_DATA = RuleMatch(Intent.CONFIDENTIAL, "other_person")


def confidential(line: str | None, analysis: Analysis) -> RuleMatch | None:
    """A line's own confidential questions: a seller asking for a buyer's contacts."""
    lemmas = set(analysis.lemmas)
    if line == SELLER and lemmas & _BUYER and lemmas & _BUYER_DATA:
        return SELLER_BUYER_DATA
    return None


def travel_article(line: str | None, query: Query, result: SearchResult) -> Article | None:
    """On the Travel line, a message about a ticket, a hotel or insurance that only the
    Travel articles match is theirs even when the match is weak."""
    if not is_travel(line) or not set(query.analysis.lemmas) & TRAVEL_WORDS:
        return None
    best = result.best
    if best is None or not best.article.slug.startswith(TRAVEL_PREFIX) or best.coverage <= 0:
        return None
    return best.article


def search(index: KbIndex, query: Query, line: str | None) -> SearchResult:
    """The articles of the line, best first."""
    if line == SELLER:
        return index.search(query, audiences=SELLER_AUDIENCES, k=8)
    if not is_travel(line):
        return index.search(query, audiences=CUSTOMER_AUDIENCES, k=8)
    result = index.search(query, audiences=CUSTOMER_AUDIENCES, k=16)
    if not result.hits:
        return result
    top = result.hits[0].score
    names_travel = bool(set(query.analysis.lemmas) & TRAVEL_WORDS)
    travel = [
        h
        for h in result.hits
        if h.article.slug.startswith(TRAVEL_PREFIX)
        and h.coverage > 0
        and (names_travel or h.score >= TRAVEL_SHARE * top)
    ]
    if not travel:
        return result
    if names_travel:  # a ticket, a hotel: only the Travel articles answer
        return SearchResult(result.query, tuple(travel))
    others = [h for h in result.hits if h not in travel]
    return SearchResult(result.query, (*travel, *others))
