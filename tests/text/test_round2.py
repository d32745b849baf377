"""Round-2 text handling: greetings vs «в день», case marks, typo correction."""

from __future__ import annotations

from marketdesk.text.analyzer import TextAnalyzer, TypoCorrector
from marketdesk.text.synonyms import Synonyms


def test_day_is_a_word_but_a_greeting_is_not() -> None:
    a = TextAnalyzer()
    assert a.analyse("Добрый день!").content == ()
    assert a.analyse("добрый вечер").content == ()
    assert "день" in a.analyse("сколько сертификатов в день").content
    assert "день" in a.analyse("промокод на день рождения").content


def test_case_marks_tell_paying_with_a_certificate_from_buying_one() -> None:
    a = TextAnalyzer()
    mark = "платитьсертификатом"
    assert mark in a.analyse("можно оплатить сертификатом авиабилеты").content
    assert mark in a.analyse("что можно купить по сертификату").content
    assert mark not in a.analyse("как купить сертификат").content
    assert mark not in a.analyse("можно оплатить сертификат баллами").content


def test_marks_from_groups() -> None:
    syn = Synonyms.from_groups([], marks={"по карте": "картой", "картой": "картой"})
    a = TextAnalyzer(syn)
    assert "картой" in a.analyse("оплатить по карте").content
    assert "картой" in a.analyse("платить картой").content
    assert "картой" not in a.analyse("карта").content


def _corrector() -> TypoCorrector:
    surface = {
        "оператор": "оператор",
        "скидка": "скидка",
        "скидки": "скидка",
        "вывести": "вывести",
        "заказ": "заказ",
        "заказать": "заказать",
        "уценка": "уценка",
    }
    return TypoCorrector(surface, set(surface.values()))


def test_first_unstressed_vowel_may_be_wrong() -> None:
    assert _corrector().correct("аператор") == "оператор"


def test_inflected_typo() -> None:
    assert _corrector().correct("аператором") == "оператор"


def test_typo_with_a_cut_ending() -> None:
    c = _corrector()
    assert c.correct("скдик") == "скидка"  # swapped letters, ending cut
    assert c.correct("выевст") == "вывести"
    assert c.correct("уцнек") == "уценка"


def test_ties_prefer_the_closest_length() -> None:
    assert _corrector().correct("закзаать") == "заказать"


def test_unrelated_words_are_left_alone() -> None:
    c = _corrector()
    assert c.correct("погода") is None
    assert c.correct("борщ") is None


def test_soft_and_hard_sign_confusion() -> None:
    from marketdesk.text.morph import analyse

    assert analyse("обьясните").lemma == "объяснить"
    assert analyse("обьявление").lemma == "объявление"
    assert analyse("деньги").lemma == "деньга"  # a known word is left as it is
