from __future__ import annotations

from marketdesk.text.analyzer import TextAnalyzer, TypoCorrector, bigram, tokenize
from marketdesk.text.morph import analyse, lemma
from marketdesk.text.synonyms import Synonyms, default_synonyms


def test_tokenize() -> None:
    assert tokenize("Где мой ЗАКАЗ?!") == ["где", "мой", "заказ"]


def test_lemmas() -> None:
    assert lemma("сертификатами") == "сертификат"
    assert lemma("уведомления") == "уведомление"
    assert lemma("приходят") == "приходить"


def test_unknown_word_keeps_its_form() -> None:
    info = analyse("промик")
    assert info.lemma == "промик"
    assert info.known is False


def test_imperative_detected() -> None:
    assert analyse("отмените").imperative is True
    assert analyse("отменить").imperative is False


def test_domain_synonyms_map_to_one_lemma() -> None:
    a = TextAnalyzer()
    assert a.analyse("пуш").content == a.analyse("push").content == ("push",)
    assert a.analyse("вк").content == a.analyse("ВКонтакте").content
    assert a.analyse("тревел").content == a.analyse("Travel").content
    assert a.analyse("посылка").content == a.analyse("заказ").content
    assert a.analyse("серт").content == a.analyse("сертификат").content
    assert a.analyse("промик").content == a.analyse("промокод").content


def test_phrase_synonyms() -> None:
    a = TextAnalyzer()
    assert a.analyse("пункт выдачи").content == ("пвз",)
    assert a.analyse("кодовое слово").content == a.analyse("кодовым словом").content


def test_stopwords_removed_and_negation_kept() -> None:
    a = TextAnalyzer()
    analysis = a.analyse("Здравствуйте, почему не приходят уведомления?")
    assert analysis.content == ("приходить", "уведомление")
    assert "не_приходить" in analysis.terms()
    assert bigram("уведомление", "приходить") in analysis.terms()


def test_bigram_is_order_free() -> None:
    assert bigram("бан", "купон") == bigram("купон", "бан")


def test_synonyms_from_groups() -> None:
    syn = Synonyms.from_groups([["заказ", "посылка"]], [["пункт выдача", "пвз"]])
    assert syn.apply(["посылка", "пункт", "выдача"]) == ["заказ", "пвз"]


def test_default_synonyms_loaded_from_data_file() -> None:
    syn = default_synonyms()
    assert syn.canonical("промик") == "промокод"
    assert syn.canonical("пуш") == "push"


def test_typo_corrector() -> None:
    corrector = TypoCorrector(
        {"сертификат": "сертификат", "уведомление": "уведомление", "купон": "купон"},
        ["сертификат", "уведомление", "купон"],
    )
    assert corrector.correct("сертефикат") == "сертификат"
    assert corrector.correct("уведамление") == "уведомление"
    assert corrector.correct("купн") == "купон"  # short: one edit
    assert corrector.correct("погода") is None
    assert corrector.correct("кот") is None  # too short to guess


def test_typo_in_a_question_finds_the_article_word() -> None:
    from marketdesk.kb.articles import Article
    from marketdesk.kb.index import KbIndex

    index = KbIndex([Article("a", "Подарочный сертификат", "customer", "Сертификат активируют.")])
    query = index.query("как активировать сиртификат")
    assert "сертификат" in query.unigrams
    assert ("сиртификат", "сертификат") in query.corrected
