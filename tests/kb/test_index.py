from __future__ import annotations

from pathlib import Path

from marketdesk.kb.articles import load_articles, load_topics
from marketdesk.kb.index import KbIndex

FIXTURES = Path(__file__).parent / "fixtures"


def _index() -> KbIndex:
    topics = load_topics(FIXTURES / "topics.yaml")
    return KbIndex(load_articles(FIXTURES / "good", topics).articles)


def test_search_ranks_by_lemmas_not_word_forms() -> None:
    result = _index().search("Выводим деньжата: какая минимальная сумма вывода с балансу?")
    assert result.best is not None
    assert result.best.article.slug == "balance_withdrawal"
    assert result.best.coverage > 0.5


def test_search_filters_audience() -> None:
    index = _index()
    customer = index.search("клиент просит снять бан купонов", audiences=("customer",))
    assert all(h.article.audience == "customer" for h in customer.hits)
    everyone = index.search("клиент просит снять бан купонов", audiences=None)
    assert everyone.best is not None and everyone.best.article.audience == "operator"


def test_off_topic_query_has_no_hits() -> None:
    result = _index().search("какая завтра погода в москве")
    assert result.hits == ()
    assert "погода" in result.query.oov


def test_empty_query() -> None:
    result = _index().search("")
    assert result.query.empty
    assert result.hits == ()
