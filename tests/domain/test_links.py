"""The one link finder (issue 19): what the phishing rule and the bot each found before, the
shared finder still finds."""

import re

import pytest

from marketdesk.domain import phishing
from marketdesk.domain.links import LINK_RE, find_links

# The two finders it replaced, kept here only as the regression oracle.
_OLD_DOMAIN_TLDS = (
    "ru|рф|su|com|net|org|info|biz|xyz|top|online|site|shop|store|club|me|io|cc|pro|link|"
    "app|click|ly|co|tk|ml|ga|cf|gq|ws|live|fun|icu|vip|win|buzz|space|website|tech"
)
OLD_DOMAIN_RE = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'«»()\[\]{}]+"
    rf"|(?<![@\w.\-])(?:[\w\-]+\.)+(?:{_OLD_DOMAIN_TLDS})(?![\w\-])(?:[/?#][^\s<>\"'«»()\[\]{{}}]*)?",
    re.IGNORECASE,
)
OLD_BOT_RE = re.compile(
    r"(?:https?://|www\.)\S+|(?<![@\w.\-])(?:[\w\-]{1,63}\.){1,8}(?:ru|рф|su|com|net|org|info|biz|"
    r"xyz|top|online|site|shop|store|club|me|io|cc|pro|link|app|click|ly|co|live|fun|icu|vip|"
    r"win|buzz|space|website|tech)(?![\w\-])\S*",
    re.IGNORECASE,
)

# (text, the links in it)
CASES = [
    # what the bot's pasted messages hold (tests/bot/test_phishing_check.py)
    ("оплатите доставку по ссылке ozon-dostavka.top", ["ozon-dostavka.top"]),
    ("https://0zon.ru/pay/123", ["https://0zon.ru/pay/123"]),
    ("зайдите на www.ozon.ru/my/orders", ["www.ozon.ru/my/orders"]),
    ("пишут что скидка, ссылка ozon-sale.xyz/promo?id=7", ["ozon-sale.xyz/promo?id=7"]),
    ("ВОЗВРАТ: HTTPS://OZON-PAY.XYZ/R", ["HTTPS://OZON-PAY.XYZ/R"]),
    # what the phishing rule's texts hold (tests/domain/test_phishing.py)
    (
        "Скидки тут: https://www.ozon.ru/highlight/rasprodazha",
        ["https://www.ozon.ru/highlight/rasprodazha"],
    ),
    ("приз ждёт вас на ozon-prize.tk", ["ozon-prize.tk"]),
    (
        "ozon-bonus.ml, ozon.ga, ozon.cf, ozon.gq и ozon.ws",
        [
            "ozon-bonus.ml",
            "ozon.ga",
            "ozon.cf",
            "ozon.gq",
            "ozon.ws",
        ],
    ),
    ("сайт «озон.рф» не наш", ["озон.рф"]),
    ("(см. https://ozon.ru/help)", ["https://ozon.ru/help"]),
    ("<https://ozon-ru.xyz/>", ["https://ozon-ru.xyz/"]),
    ("два: a.ozon.ru и b.ozon-ru.xyz.", ["a.ozon.ru", "b.ozon-ru.xyz"]),
    # not links: an e-mail address, a word with a dot inside, a zone not in the list
    ("пишут с адреса mailer@ozon.ru", []),
    ("файл report.pdf и версия 1.2", []),
    ("example.invalid", []),
]


@pytest.mark.parametrize(("text", "links"), CASES, ids=[c[0][:30] for c in CASES])
def test_find_links(text: str, links: list[str]) -> None:
    assert find_links(text) == links


@pytest.mark.parametrize("old", [OLD_DOMAIN_RE, OLD_BOT_RE], ids=["domain", "bot"])
@pytest.mark.parametrize(("text", "links"), CASES, ids=[c[0][:30] for c in CASES])
def test_every_link_either_finder_found_is_still_found(
    old: re.Pattern[str], text: str, links: list[str]
) -> None:
    """Each old match starts where a new one does, and the new one holds its host."""
    new = {m.start(): m.group(0) for m in LINK_RE.finditer(text)}
    for match in old.finditer(text):
        assert match.start() in new, match.group(0)
        assert (
            new[match.start()].rstrip(".,") in match.group(0)
            or match.group(0) in (new[match.start()])
        )


def test_the_phishing_rule_checks_the_links_the_finder_finds() -> None:
    report = phishing.check_message(
        sender=None, link=None, text="Оплатите заказ: ozon-pay.tk/pay и https://www.ozon.ru/"
    )
    codes = report.codes
    assert phishing.PhishingReasonCode.LOOKALIKE_LINK in codes  # ozon-pay.tk (the bot missed .tk)
    assert phishing.PhishingReasonCode.OFFICIAL_LINK in codes


def test_long_input_is_linear() -> None:
    """No catastrophic backtracking on a long run of labels without a known zone."""
    text = "a." * 50_000 + "invalid"
    assert find_links(text) == []
