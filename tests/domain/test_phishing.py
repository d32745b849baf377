"""Phishing check of messages customers receive (seed 000, «Рассылка от мошенников»)."""

import random

import pytest

from marketdesk.domain import phishing
from marketdesk.domain.phishing import (
    OFFICIAL_SENDERS,
    OFFICIAL_SOCIAL_ACCOUNTS,
    PhishingReasonCode,
    PhishingReport,
    PhishingVerdict,
    check_message,
    is_lookalike_host,
    is_official_host,
)

PV = PhishingVerdict
R = PhishingReasonCode

CASES = [
    # (id, sender, link, text, verdict, reason codes in order)
    # --- official ---
    (
        "mailer-delivery",
        "mailer@ozon.ru",
        None,
        "Заказ 58561573-0011 доставлен в пункт выдачи. Срок хранения — 5 дней.",
        PV.OFFICIAL,
        (R.OFFICIAL_SENDER,),
    ),
    (
        "mailer-login-display-name",
        "OZON <mailer@ozon.ru>",
        None,
        "Выполнен вход в ваш аккаунт с нового устройства. Если это были не вы, смените пароль.",
        PV.OFFICIAL,
        (R.OFFICIAL_SENDER,),
    ),
    (
        "news-promo",
        "news@news.ozon.ru",
        "https://www.ozon.ru/highlight/rasprodazha",
        "Межсезонная распродажа! Скидки до 80% — успейте купить любимые товары.",
        PV.OFFICIAL,
        (R.OFFICIAL_SENDER, R.OFFICIAL_LINK),
    ),
    (
        "news-promo-code",
        "news@news.ozon.ru",
        None,
        "Дарим промокод на скидку 300 ₽ на первый заказ в категории «Дом и сад».",
        PV.OFFICIAL,
        (R.OFFICIAL_SENDER,),
    ),
    (
        "noreply-receipt",
        "noreply@ozon.ru",
        None,
        "Оплата прошла успешно. Чек по заказу 58561573-0011 доступен по ссылке "
        "https://www.ozon.ru/my/orderdetails",
        PV.OFFICIAL,
        (R.OFFICIAL_SENDER, R.OFFICIAL_LINK),
    ),
    (
        "noreply-refund-status",
        "noreply@ozon.ru",
        None,
        "Возврат денег за заказ 58561573-0011 оформлен. Деньги поступят на карту, которой вы "
        "оплачивали заказ.",
        PV.OFFICIAL,
        (R.OFFICIAL_SENDER,),
    ),
    (
        "upper-case-address",
        "MAILER@OZON.RU",
        None,
        "Заказ передан в доставку.",
        PV.OFFICIAL,
        (R.OFFICIAL_SENDER,),
    ),
    (
        "help-address-on-official-domain",
        "help@ozon.ru",
        None,
        "Здравствуйте! Ваше обращение зарегистрировано.",
        PV.OFFICIAL,
        (R.OFFICIAL_DOMAIN_ADDRESS,),
    ),
    (
        "instagram-ozonru",
        "@ozonru",
        None,
        "Новая подборка товаров для дома уже на сайте.",
        PV.OFFICIAL,
        (R.OFFICIAL_SOCIAL_ACCOUNT,),
    ),
    (
        "instagram-business",
        "instagram: @ozon_business",
        None,
        "Вебинар для предпринимателей.",
        PV.OFFICIAL,
        (R.OFFICIAL_SOCIAL_ACCOUNT,),
    ),
    (
        "vk-group",
        "ВКонтакте: OZON",
        None,
        "Розыгрыш призов среди подписчиков!",
        PV.OFFICIAL,
        (R.OFFICIAL_SOCIAL_ACCOUNT,),
    ),
    (
        "facebook-express",
        "facebook: OZON Express",
        None,
        "Доставим продукты за час.",
        PV.OFFICIAL,
        (R.OFFICIAL_SOCIAL_ACCOUNT,),
    ),
    (
        "instagram-promo-allowed",
        "@ozonru",
        None,
        "Скидки до 50% — успейте купить!",
        PV.OFFICIAL,
        (R.OFFICIAL_SOCIAL_ACCOUNT,),
    ),
    (
        "product-link",
        None,
        "https://www.ozon.ru/product/235260644",
        None,
        PV.OFFICIAL,
        (R.OFFICIAL_LINK,),
    ),
    ("subdomain-link", None, "https://finance.ozon.ru/", None, PV.OFFICIAL, (R.OFFICIAL_LINK,)),
    (
        "bare-official-domain",
        None,
        None,
        "Перейдите на www.ozon.ru и оформите заказ",
        PV.OFFICIAL,
        (R.OFFICIAL_LINK,),
    ),
    # --- pay by link ---
    (
        "pay-by-link-from-official-address",
        "mailer@ozon.ru",
        None,
        "Ваш заказ не оплачен. Оплатите заказ по ссылке, иначе он будет отменён.",
        PV.FRAUD,
        (R.OFFICIAL_SENDER, R.PAY_BY_LINK),
    ),
    (
        "pay-delivery",
        None,
        None,
        "Ваша посылка задержана на складе. Для получения оплатите доставку 149 ₽ по ссылке: "
        "ozon-dostavka.ru/pay",
        PV.FRAUD,
        (R.LOOKALIKE_LINK, R.PAY_BY_LINK),
    ),
    (
        "pay-commission",
        "+7 999 123-45-67",
        None,
        "Вам начислена компенсация 5 000 ₽. Чтобы получить деньги, оплатите комиссию 99 ₽: "
        "https://bit.ly/3xYz",
        PV.FRAUD,
        (R.UNKNOWN_SENDER, R.EXTERNAL_LINK, R.PAY_BY_LINK),
    ),
    (
        "prepayment",
        None,
        None,
        "Товар есть в наличии, но нужно внести предоплату 50% по ссылке, которую пришлёт "
        "менеджер в WhatsApp.",
        PV.FRAUD,
        (R.PAY_BY_LINK,),
    ),
    (
        "pay-with-separate-link",
        None,
        "https://pay-secure.top/ozon",
        "Подтвердите оплату заказа в течение часа.",
        PV.FRAUD,
        (R.EXTERNAL_LINK, R.PAY_BY_LINK),
    ),  # «ozon» only in the path
    (
        "pay-in-app-is-fine",
        None,
        None,
        "Оплатите заказ в приложении в разделе «Заказы».",
        PV.SUSPICIOUS,
        (R.NOT_ENOUGH_DATA,),
    ),
    # --- discount offers ---
    (
        "discount-fake-instagram",
        "@ozon_official_sale",
        None,
        "Распродажа! iPhone 15 со скидкой 70%, пишите в директ — продадим по себестоимости.",
        PV.FRAUD,
        (R.LOOKALIKE_ACCOUNT, R.DISCOUNT_OFFER),
    ),
    (
        "discount-unknown-sender",
        "Ozon Акции",
        None,
        "Только сегодня! Купите телевизор Samsung со скидкой 60%.",
        PV.FRAUD,
        (R.UNKNOWN_SENDER, R.DISCOUNT_OFFER),
    ),
    (
        "discount-fake-vk",
        "vk: Ozon Скидки",
        None,
        "Продаём наушники со скидкой 90%!",
        PV.FRAUD,
        (R.LOOKALIKE_ACCOUNT, R.DISCOUNT_OFFER),
    ),
    (
        "discount-no-sender",
        None,
        None,
        "Успейте приобрести робот-пылесос со скидкой 50%!",
        PV.SUSPICIOUS,
        (R.DISCOUNT_OFFER,),
    ),
    (
        "discount-from-receipts-address",
        "noreply@ozon.ru",
        None,
        "Купите второй товар со скидкой 40%!",
        PV.SUSPICIOUS,
        (R.OFFICIAL_SENDER, R.DISCOUNT_OFFER),
    ),
    (
        "discount-latin-homoglyphs",
        None,
        None,
        "Hовогодняя pаспродажа! Kупите смартфон со cкидкой 60% по ссылке: ozon-sale.top",
        PV.FRAUD,
        (R.LOOKALIKE_LINK, R.DISCOUNT_OFFER),
    ),
    (
        "discount-zero-width",
        "ivan@mail.ru",
        None,
        "Ку\u200bпите ноутбук со ски\u200bдкой 70%",
        PV.FRAUD,
        (R.UNKNOWN_SENDER, R.DISCOUNT_OFFER),
    ),
    # --- refunds through a third party ---
    (
        "refund-telegram-bot",
        None,
        None,
        "Здравствуйте! Оформим возврат денег за товар через наш телеграм-бот, напишите нам.",
        PV.FRAUD,
        (R.THIRD_PARTY_REFUND,),
    ),
    (
        "refund-card-data",
        "Служба поддержки Ozon",
        None,
        "Для получения возврата средств за отменённый заказ укажите данные карты и код из SMS.",
        PV.FRAUD,
        (R.UNKNOWN_SENDER, R.THIRD_PARTY_REFUND),
    ),
    (
        "refund-manager",
        "support@ozon-help.ru",
        None,
        "Возврат денег за товар оформит наш менеджер. Свяжитесь с менеджером в Telegram.",
        PV.FRAUD,
        (R.LOOKALIKE_SENDER, R.THIRD_PARTY_REFUND),
    ),
    (
        "compensation-link",
        "Иван",
        None,
        "Ваш заказ задержан. Для получения компенсации перейдите по ссылке и введите данные "
        "карты: bit.ly/abc",
        PV.FRAUD,
        (R.UNKNOWN_SENDER, R.EXTERNAL_LINK, R.THIRD_PARTY_REFUND),
    ),
    # --- lookalike domains and accounts ---
    ("zero-instead-of-o", None, "http://0zon.ru/pay", None, PV.FRAUD, (R.LOOKALIKE_LINK,)),
    (
        "ozon-ru-xyz-sender",
        "support@ozon-ru.xyz",
        None,
        "Здравствуйте",
        PV.FRAUD,
        (R.LOOKALIKE_SENDER,),
    ),
    ("ozon-ru-xyz-link", None, "https://ozon-ru.xyz/", None, PV.FRAUD, (R.LOOKALIKE_LINK,)),
    (
        "official-name-as-subdomain",
        None,
        "https://ozon.ru.evil.com/login",
        None,
        PV.FRAUD,
        (R.LOOKALIKE_LINK,),
    ),
    ("userinfo-trick", None, "https://ozon.ru@evil.com/pay", None, PV.FRAUD, (R.LOOKALIKE_LINK,)),
    ("cyrillic-domain", None, "https://озон.рф/bonus", None, PV.FRAUD, (R.LOOKALIKE_LINK,)),
    ("punycode-domain", None, "https://xn--g1ambb.xn--p1ai/", None, PV.FRAUD, (R.LOOKALIKE_LINK,)),
    ("one-letter-typo", None, "https://ozom.ru/", None, PV.FRAUD, (R.LOOKALIKE_LINK,)),
    ("cyrillic-o-in-latin", None, "https://оzon.ru/", None, PV.FRAUD, (R.LOOKALIKE_LINK,)),
    (
        "lookalike-in-text",
        None,
        None,
        "Ваш бонус 500 баллов ждёт: www.ozon-bonus.top/get",
        PV.FRAUD,
        (R.LOOKALIKE_LINK,),
    ),
    (
        "gmail-pretending",
        "ozon.support@gmail.com",
        None,
        "Добрый день",
        PV.FRAUD,
        (R.LOOKALIKE_SENDER,),
    ),
    (
        "fake-mailer-domain",
        "mailer@ozon.ru.com",
        None,
        "Ваш заказ доставлен",
        PV.FRAUD,
        (R.LOOKALIKE_SENDER,),
    ),
    # --- suspicious ---
    ("shortener", None, "https://bit.ly/abc", None, PV.SUSPICIOUS, (R.EXTERNAL_LINK,)),
    ("unrelated-sender", "ivan@gmail.com", None, "Добрый день", PV.SUSPICIOUS, (R.UNKNOWN_SENDER,)),
    ("unknown-instagram", "@best_shop", None, "Новинки недели", PV.SUSPICIOUS, (R.UNKNOWN_SENDER,)),
    (
        "phone-sender",
        "+7 999 000-00-00",
        None,
        "Ваш заказ готов",
        PV.SUSPICIOUS,
        (R.UNKNOWN_SENDER,),
    ),
    (
        "official-sender-external-link",
        "mailer@ozon.ru",
        "https://example.com/",
        None,
        PV.SUSPICIOUS,
        (R.OFFICIAL_SENDER, R.EXTERNAL_LINK),
    ),
    ("javascript-link", None, "javascript:alert(1)", None, PV.SUSPICIOUS, (R.MALFORMED_LINK,)),
    ("broken-ipv6-link", None, "http://[::1", None, PV.SUSPICIOUS, (R.MALFORMED_LINK,)),
    (
        "neutral-text-only",
        None,
        None,
        "Здравствуйте! Ваш заказ передан в доставку.",
        PV.SUSPICIOUS,
        (R.NOT_ENOUGH_DATA,),
    ),
    ("nothing", None, None, None, PV.SUSPICIOUS, (R.NOT_ENOUGH_DATA,)),
    ("empty-strings", "", "", "", PV.SUSPICIOUS, (R.NOT_ENOUGH_DATA,)),
    ("whitespace", "   ", " \n", "\t", PV.SUSPICIOUS, (R.NOT_ENOUGH_DATA,)),
]


@pytest.mark.parametrize(
    ("sender", "link", "text", "verdict", "codes"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_check_message(
    sender: str | None,
    link: str | None,
    text: str | None,
    verdict: PhishingVerdict,
    codes: tuple[PhishingReasonCode, ...],
) -> None:
    report = check_message(sender=sender, link=link, text=text)
    assert (report.verdict, report.codes) == (verdict, codes)


def test_official_senders_are_the_seed_list() -> None:
    assert dict(OFFICIAL_SENDERS) == {
        "mailer@ozon.ru": "уведомления о доставке заказа и о входе в аккаунт",
        "news@news.ozon.ru": "рассылка с акциями",
        "noreply@ozon.ru": "чеки по заказу",
    }


def test_official_social_accounts_are_the_seed_list() -> None:
    assert {k: set(v) for k, v in OFFICIAL_SOCIAL_ACCOUNTS.items()} == {
        "instagram": {"ozonru", "ozon_business"},
        "vk": {"ozon"},
        "facebook": {"ozon", "ozon express"},
    }


@pytest.mark.parametrize(
    ("sender", "fragment"),
    [
        ("mailer@ozon.ru", "уведомления о доставке заказа и о входе в аккаунт"),
        ("news@news.ozon.ru", "рассылка с акциями"),
        ("noreply@ozon.ru", "чеки по заказу"),
    ],
    ids=["mailer", "news", "noreply"],
)
def test_official_sender_reason_names_its_purpose(sender: str, fragment: str) -> None:
    (reason,) = check_message(sender=sender, link=None, text=None).reasons
    assert reason.message_ru == f"Адрес {sender} — официальный адрес рассылки: {fragment}."


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        (R.PAY_BY_LINK, "С официального аккаунта такое предложение никогда не придёт."),
        (R.DISCOUNT_OFFER, "Так делают только мошенники"),
        (R.THIRD_PARTY_REFUND, "предлагают оформить возврат денег через отправителя"),
    ],
    ids=["pay-by-link", "discount", "refund"],
)
def test_text_rules_explain_in_russian(code: PhishingReasonCode, fragment: str) -> None:
    texts = {
        R.PAY_BY_LINK: "Оплатите заказ по ссылке",
        R.DISCOUNT_OFFER: "Купите телефон со скидкой 70%",
        R.THIRD_PARTY_REFUND: "Оформим возврат через наш бот",
    }
    report = check_message(sender="x@example.com", link=None, text=texts[code])
    (reason,) = [r for r in report.reasons if r.code is code]
    assert (reason.severity, fragment in reason.message_ru) == (PV.FRAUD, True)


def test_lookalike_link_reason_names_the_real_host() -> None:
    report = check_message(sender=None, link="https://ozon.ru.evil.com/login", text=None)
    assert report.reasons[0].message_ru == (
        "Ссылка ведёт на ozon.ru.evil.com — этот сайт только похож на ozon.ru. "
        "Так маскируются мошенники."
    )


def test_repeated_links_are_reported_once() -> None:
    text = "Смотрите https://bit.ly/a и ещё раз https://bit.ly/a"
    report = check_message(sender=None, link=None, text=text)
    assert report.codes == (R.EXTERNAL_LINK,)


@pytest.mark.parametrize(
    ("host", "official", "lookalike"),
    [
        ("ozon.ru", True, False),
        ("www.ozon.ru", True, False),
        ("news.ozon.ru", True, False),
        ("OZON.RU.", True, False),
        ("ozon.ru.evil.com", False, True),
        ("ozon-ru.xyz", False, True),
        ("0zon.ru", False, True),
        ("oz0n.ru", False, True),
        ("0z0n.ru", False, True),
        ("ozonn.ru", False, True),
        ("ozn.ru", False, True),
        ("myozon.shop", False, True),
        ("evilozon.ru", False, True),
        ("xn--g1ambb.xn--p1ai", False, True),
        ("example.com", False, False),
        ("bit.ly", False, False),
        ("amazon.com", False, False),
        ("", False, False),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_host_classification(host: str, official: bool, lookalike: bool) -> None:
    assert (is_official_host(host), is_lookalike_host(host)) == (official, lookalike)


GARBAGE: list[tuple[object, object, object]] = [
    ("\x00\xff" * 10, "http://[::1", "\ud800"),
    ("a" * 1_000_000, "http://" + "x." * 100_000, "оплатите ссылка " * 100_000),
    ("a@" * 100_000, "1" * 1_000_000, "9" * 1_000_000),
    (None, None, "a." * 1_000_000),
    (b"mailer@ozon.ru", b"\xff\xfe", b"\x00" * 100),
    (12345, ["list"], {"dict": 1}),
    ("<>", "://", "http://"),
    ("@", "@", "@"),
    ("vk:", "http://", "https://"),
    ("mailer@ozon.ru <", "http://ozon.ru:99999/", "www."),
]


@pytest.mark.parametrize("sender, link, text", GARBAGE, ids=[f"garbage-{i}" for i in range(10)])
def test_never_raises_on_garbage(sender: object, link: object, text: object) -> None:
    report = check_message(sender=sender, link=link, text=text)  # type: ignore[arg-type]
    assert isinstance(report, PhishingReport)
    assert report.verdict in set(PhishingVerdict)
    assert len(report.reasons) >= 1


def test_never_raises_on_random_unicode() -> None:
    rng = random.Random(20261123)
    for _ in range(300):
        chunk = "".join(chr(rng.randrange(0, 0x3000)) for _ in range(rng.randrange(0, 400)))
        cut = rng.randrange(0, len(chunk) + 1)
        report = check_message(sender=chunk[:cut], link=chunk[cut:], text=chunk)
        assert report.verdict in set(PhishingVerdict)


def test_bytes_sender_is_decoded() -> None:
    report = check_message(sender=b"mailer@ozon.ru", link=None, text=None)  # type: ignore[arg-type]
    assert report.codes == (R.OFFICIAL_SENDER,)


def test_internal_error_gives_a_suspicious_report(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> PhishingReport:
        raise RuntimeError("boom")

    monkeypatch.setattr(phishing, "_check", broken)
    report = check_message(sender="mailer@ozon.ru", link=None, text=None)
    assert (report.verdict, report.codes) == (PV.SUSPICIOUS, (R.CHECK_FAILED,))
    assert "Не переходите по ссылкам" in report.reasons[0].message_ru
