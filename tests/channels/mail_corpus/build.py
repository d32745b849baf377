"""How the corpus of ``*.eml`` letters here was made (run it to write them again:
``python tests/channels/mail_corpus/build.py``). Each letter is shaped like what the named
mail client or server really sends — its headers, its MIME structure, its charset and
transfer encoding, its way of quoting — with made-up people and orders. What each must read
as is in ``expected.yaml``; ``tests/channels/test_mail_corpus.py`` checks it."""

from __future__ import annotations

import base64
import quopri
import textwrap
from email.header import Header
from pathlib import Path

HERE = Path(__file__).parent
OUR = "<md.7.4f1c2a9e0b7d4c55a1e2f3a4b5c6d7e8@ozon.ru>"
OUR_FIRST = "<md.5.9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d@ozon.ru>"
THEIRS = "<CAHk3x9Q7p0vVbT2Lw@mail.gmail.com>"

# a 1×1 JPEG and PNG, and a one-page PDF: real magic bytes, tiny
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////"
    "////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/a"
    "AAgBAQABPxA="
)
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU"
    "5ErkJggg=="
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DOCX = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + b"\x00" * 64


def qp(text: str, charset: str) -> str:
    return quopri.encodestring(text.replace("\n", "\r\n").encode(charset)).decode("ascii")


def b64(data: bytes | str, charset: str = "utf-8") -> str:
    raw = data.encode(charset) if isinstance(data, str) else data
    return "\n".join(textwrap.wrap(base64.b64encode(raw).decode("ascii"), 76))


def word(text: str, charset: str = "utf-8") -> str:
    """An RFC 2047 encoded word (B for UTF-8, Q for the 8-bit Russian charsets)."""
    return Header(text, charset).encode(maxlinelen=998)


def letter(headers: str, body: str) -> bytes:
    """Headers (ASCII: encoded words) and a body; an 8-bit body is UTF-8."""
    return (textwrap.dedent(headers).strip() + "\n\n" + body).replace("\n", "\r\n").encode()


def raw_letter(headers: str, body: bytes) -> bytes:
    head = textwrap.dedent(headers).strip().replace("\n", "\r\n")
    return head.encode("ascii") + b"\r\n\r\n" + body


LETTERS: dict[str, bytes] = {}

# --- 1. Gmail, a new question: multipart/alternative, QP UTF-8 --------------------------
text1 = (
    "Здравствуйте!\n\nЯ заказал наушники 10 ноября, заказ 48213377-0015. По трекингу "
    "посылка третий день «в пути», а срок доставки уже прошёл. Подскажите, где она?\n\n"
    "Спасибо,\nИван"
)
LETTERS["01_gmail_new_question.eml"] = letter(
    f"""
    MIME-Version: 1.0
    Date: Mon, 30 Nov 2026 09:14:02 +0300
    Message-ID: {THEIRS}
    Subject: {word("Где мой заказ?")}
    From: {word("Иван Петров")} <ivan.petrov.1987@gmail.com>
    To: help@ozon.ru
    Content-Type: multipart/alternative; boundary="000000000000a1b2c3d4e5f6"
    """,
    f"""--000000000000a1b2c3d4e5f6
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

{qp(text1, "utf-8")}

--000000000000a1b2c3d4e5f6
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

{qp("<div dir=ltr>" + text1.replace(chr(10), "<br>") + "</div>", "utf-8")}

--000000000000a1b2c3d4e5f6--
""",
)

# --- 2. Gmail reply, Russian attribution line, «>» quotes -------------------------------
text2 = (
    "Добрый день! Да, номер заказа 48213377-0015, доставка курьером.\n\n"
    "пн, 30 нояб. 2026 г. в 09:20, OZON.RU <help@ozon.ru>:\n\n"
    "> Здравствуйте! Уточните, пожалуйста, номер заказа и способ доставки.\n"
    ">\n> --\n> Служба поддержки OZON.RU\n"
)
LETTERS["02_gmail_reply_attribution.eml"] = letter(
    f"""
    MIME-Version: 1.0
    Date: Mon, 30 Nov 2026 09:31:45 +0300
    References: {OUR_FIRST} {OUR}
    In-Reply-To: {OUR}
    Message-ID: <CAHk3x9Q8zzR1tYu@mail.gmail.com>
    Subject: {word("Re: Где мой заказ? [№ 1042]")}
    From: {word("Иван Петров")} <ivan.petrov.1987@gmail.com>
    To: "OZON.RU" <help@ozon.ru>
    Content-Type: text/plain; charset="UTF-8"
    Content-Transfer-Encoding: quoted-printable
    """,
    qp(text2, "utf-8"),
)

# --- 3. Gmail reply, HTML only, gmail_quote --------------------------------------------
html3 = (
    '<div dir="ltr"><div>Посылку получил, всё в порядке.</div><div>Спасибо за помощь!</div>'
    '</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">вт, 1 дек. 2026 г. '
    'в 10:02, OZON.RU &lt;<a href="mailto:help@ozon.ru">help@ozon.ru</a>&gt;:<br></div>'
    '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid '
    'rgb(204,204,204);padding-left:1ex">Заказ передан курьеру, он привезёт его сегодня.'
    "</blockquote></div>"
)
LETTERS["03_gmail_reply_html_only.eml"] = letter(
    f"""
    MIME-Version: 1.0
    Date: Tue, 1 Dec 2026 18:40:11 +0300
    References: {OUR}
    In-Reply-To: {OUR}
    Message-ID: <CAHk3x9RmQ2x@mail.gmail.com>
    Subject: {word("Re: Где мой заказ? [№ 1042]")}
    From: {word("Иван Петров")} <ivan.petrov.1987@gmail.com>
    To: help@ozon.ru
    Content-Type: text/html; charset="UTF-8"
    Content-Transfer-Encoding: base64
    """,
    b64(html3),
)

# --- 4. Outlook (Russian), plain, windows-1251 QP, «От: … Отправлено: …» ---------------
text4 = (
    "Добрый день.\n\nПрошу вернуть деньги за отменённый заказ 51200348-0003, "
    "прошло уже 10 дней.\n\nС уважением,\nМарина Соколова\n\n"
    "От: OZON.RU [mailto:help@ozon.ru]\nОтправлено: 30 ноября 2026 г. 15:12\n"
    "Кому: Соколова Марина <m.sokolova@company.ru>\nТема: Re: Возврат денег [№ 2210]\n\n"
    "Здравствуйте! Деньги вернутся в течение 10 дней.\n"
)
LETTERS["04_outlook_reply_cp1251.eml"] = letter(
    f"""
    From: =?windows-1251?B?0e7q7uvu4uAg7ODw6O3g?= <m.sokolova@company.ru>
    To: "OZON.RU" <help@ozon.ru>
    Subject: {word("RE: Возврат денег [№ 2210]", "windows-1251")}
    Thread-Topic: {word("Возврат денег [№ 2210]", "windows-1251")}
    Thread-Index: AdnHbG0Cz5l2kH3VQ0mR7d0x6Q8N1g==
    Date: Tue, 1 Dec 2026 08:05:33 +0000
    Message-ID: <8C1F0E3B2A9D4E7F@EXCH01.company.local>
    References: <md.12.abcdef0123456789abcdef0123456789@ozon.ru>
    In-Reply-To: <md.12.abcdef0123456789abcdef0123456789@ozon.ru>
    Accept-Language: ru-RU, en-US
    Content-Language: ru-RU
    X-MS-Has-Attach:
    X-MS-TNEF-Correlator:
    X-Auto-Response-Suppress: All
    Content-Type: text/plain; charset="windows-1251"
    Content-Transfer-Encoding: quoted-printable
    MIME-Version: 1.0
    """,
    qp(text4, "windows-1251"),
)

# --- 5. Outlook (English UI), «-----Original Message-----», base64 cp1251 --------------
text5 = (
    "Здравствуйте, вопрос ещё актуален: промокод не применяется к корзине.\n\n"
    "-----Original Message-----\nFrom: OZON.RU <help@ozon.ru>\n"
    "Sent: Monday, November 30, 2026 4:01 PM\nTo: Alexey <alexey.k@yandex.ru>\n"
    "Subject: Промокод [№ 3301]\n\nРасскажите подробнее, какой промокод вы вводите?\n"
)
LETTERS["05_outlook_original_message.eml"] = letter(
    f"""
    From: Alexey <alexey.k@yandex.ru>
    To: <help@ozon.ru>
    Subject: RE: {word("Промокод [№ 3301]", "windows-1251")}
    Date: Mon, 30 Nov 2026 17:20:00 +0300
    Message-ID: <000001d9c8a1$3f2e1d00$bd8b5700$@yandex.ru>
    In-Reply-To: <md.20.00112233445566778899aabbccddeeff@ozon.ru>
    MIME-Version: 1.0
    X-Mailer: Microsoft Outlook 16.0
    Content-Type: text/plain; charset="windows-1251"
    Content-Transfer-Encoding: base64
    """,
    b64(text5, "windows-1251"),
)

# --- 6. Outlook HTML reply, divRplyFwdMsg ------------------------------------------------
html6 = (
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
    '<style type="text/css">p {margin:0}</style></head><body dir="ltr">'
    '<div style="font-family:Calibri"><p>Добрый день!</p><p>&nbsp;</p>'
    "<p>Курьер не приехал в назначенный интервал 12:00–15:00. Перенесите доставку на "
    "завтра, пожалуйста.</p></div>"
    '<div id="appendonsend"></div><hr style="display:inline-block;width:98%" tabindex="-1">'
    '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri" style="font-size:11pt">'
    "<b>От:</b> OZON.RU &lt;help@ozon.ru&gt;<br><b>Отправлено:</b> 1 декабря 2026 г. 9:00"
    "<br><b>Кому:</b> Ольга<br><b>Тема:</b> Доставка [№ 4410]</font><div>&nbsp;</div></div>"
    "<div>Курьер приедет сегодня с 12 до 15 часов.</div></body></html>"
)
LETTERS["06_outlook_html_reply.eml"] = letter(
    f"""
    From: {word("Ольга Смирнова", "windows-1251")} <olga.smirnova@outlook.com>
    To: "help@ozon.ru" <help@ozon.ru>
    Subject: {word("RE: Доставка [№ 4410]", "windows-1251")}
    Date: Tue, 1 Dec 2026 10:44:12 +0000
    Message-ID: <AM0PR07MB4412D0B1@AM0PR07MB4412.eurprd07.prod.outlook.com>
    References: <md.31.ffeeddccbbaa99887766554433221100@ozon.ru>
    In-Reply-To: <md.31.ffeeddccbbaa99887766554433221100@ozon.ru>
    Content-Type: text/html; charset="windows-1251"
    Content-Transfer-Encoding: quoted-printable
    MIME-Version: 1.0
    """,
    qp(html6, "windows-1251"),
)

# --- 7. Yandex Mail reply: «30.11.2026, 12:00, "OZON.RU" <help@ozon.ru>:» ----------------
text7 = (
    "Фото повреждённой коробки прикладываю.\n\n"
    '30.11.2026, 12:00, "OZON.RU" <help@ozon.ru>:\n'
    "> Пришлите, пожалуйста, фото повреждения.\n"
)
LETTERS["07_yandex_reply_with_photo.eml"] = letter(
    f"""
    Received: from mail.yandex.ru
    From: =?utf-8?B?0JTQvNC40YLRgNC40Lkg0JrQvtCy0LDQu9C10LI=?= <d.kovalev@yandex.ru>
    To: OZON.RU <help@ozon.ru>
    In-Reply-To: <md.44.0a0b0c0d0e0f10111213141516171819@ozon.ru>
    References: <md.44.0a0b0c0d0e0f10111213141516171819@ozon.ru>
    Subject: Re: {word("Повреждённый товар [№ 5120]")}
    MIME-Version: 1.0
    X-Mailer: Yamail [ http://yandex.ru ] 5.0
    Date: Mon, 30 Nov 2026 12:30:00 +0300
    Message-Id: <1234561701337000@mail.yandex.ru>
    Content-Type: multipart/mixed; boundary="----==--bound.77.myt5.yandex.ru"
    """,
    f"""------==--bound.77.myt5.yandex.ru
Content-Transfer-Encoding: base64
Content-Type: text/plain; charset=utf-8

{b64(text7)}
------==--bound.77.myt5.yandex.ru
Content-Disposition: attachment; filename="=?utf-8?B?0LrQvtGA0L7QsdC60LAuanBn?="
Content-Transfer-Encoding: base64
Content-Type: image/jpeg; name="=?utf-8?B?0LrQvtGA0L7QsdC60LAuanBn?="

{b64(JPEG)}
------==--bound.77.myt5.yandex.ru--
""",
)

# --- 8. Mail.ru reply: «Понедельник, 30 ноября 2026, 12:00 +03:00 от OZON.RU …» ---------
text8 = (
    "Спасибо, сертификат активировался.\n\n\n"
    "Понедельник, 30 ноября 2026, 12:00 +03:00 от OZON.RU <help@ozon.ru>:\n"
    ">\n>Активируйте сертификат в разделе «Мои сертификаты».\n>\n"
    "\n\n--\nАнна Кузнецова\n"
)
LETTERS["08_mailru_reply.eml"] = letter(
    f"""
    From: {word("Анна Кузнецова")} <anna_k@mail.ru>
    To: {word("OZON.RU")} <help@ozon.ru>
    Subject: {word("Re[2]: Подарочный сертификат [№ 612]")}
    MIME-Version: 1.0
    X-Mailer: Mail.Ru Mailer 1.0
    Date: Mon, 30 Nov 2026 14:15:00 +0300
    Reply-To: {word("Анна Кузнецова")} <anna_k@mail.ru>
    In-Reply-To: <md.50.abababababababababababababababab@ozon.ru>
    Message-ID: <1701342900.123456789@f512.i.mail.ru>
    Content-Type: text/plain; charset=utf-8
    Content-Transfer-Encoding: base64
    """,
    b64(text8),
)

# --- 9. Thunderbird, KOI8-R 8bit, «… пишет:» ---------------------------------------------
text9 = (
    "Добрый вечер!\n\nНе могу войти в личный кабинет: код из СМС не приходит.\n\n"
    "30.11.2026 18:02, OZON.RU пишет:\n> Здравствуйте! Уточните, какой номер телефона "
    "указан в профиле.\n\n-- \nСергей\n"
)
LETTERS["09_thunderbird_koi8r.eml"] = raw_letter(
    f"""
    Message-ID: <5f3c2b1a-9e8d-4c7b-a6f5-0e1d2c3b4a59@rambler.ru>
    Date: Mon, 30 Nov 2026 19:10:00 +0300
    MIME-Version: 1.0
    User-Agent: Mozilla Thunderbird
    Subject: {word("Re: Вход в личный кабинет", "koi8-r")}
    References: <md.60.cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd@ozon.ru>
    In-Reply-To: <md.60.cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd@ozon.ru>
    From: {word("Сергей Иванов", "koi8-r")} <s.ivanov@rambler.ru>
    To: help@ozon.ru
    Content-Type: text/plain; charset=KOI8-R; format=flowed
    Content-Transfer-Encoding: 8bit
    """,
    text9.replace("\n", "\r\n").encode("koi8-r"),
)

# --- 10. iPhone Mail: «Отправлено с iPhone», Apple's «wrote:» ---------------------------
text10 = (
    "Курьер так и не позвонил.\n\nОтправлено с iPhone\n\n"
    "> 1 дек. 2026 г., в 11:00, OZON.RU <help@ozon.ru> написал(а):\n>\n"
    "> Курьер позвонит за час до приезда.\n"
)
LETTERS["10_iphone_reply.eml"] = letter(
    f"""
    Content-Type: text/plain; charset=utf-8
    Content-Transfer-Encoding: quoted-printable
    Mime-Version: 1.0 (1.0)
    Subject: Re: {word("Доставка [№ 4410]")}
    From: {word("Ольга")} <olga.smirnova@icloud.com>
    In-Reply-To: <md.33.1234567890abcdef1234567890abcdef@ozon.ru>
    Date: Tue, 1 Dec 2026 13:02:00 +0300
    Message-Id: <A1B2C3D4-E5F6-4711-9ABC-DEF012345678@icloud.com>
    References: <md.33.1234567890abcdef1234567890abcdef@ozon.ru>
    To: OZON.RU <help@ozon.ru>
    X-Mailer: iPhone Mail (20H115)
    """,
    qp(text10, "utf-8"),
)

# --- 11. A new letter with a «-- » signature --------------------------------------------
text11 = (
    "Здравствуйте.\nХочу изменить адрес доставки в заказе 60012345-0001 на "
    "г. Казань, ул. Баумана, д. 1.\n\n-- \nРуслан Хайруллин\nтел. +7 900 000-00-00\n"
)
LETTERS["11_signature_dash.eml"] = letter(
    f"""
    From: Ruslan Khairullin <ruslan.kh@bk.ru>
    To: help@ozon.ru
    Subject: {word("Изменить адрес доставки")}
    Date: Wed, 2 Dec 2026 08:00:00 +0300
    Message-ID: <20261202080000.ABCD1234@bk.ru>
    MIME-Version: 1.0
    Content-Type: text/plain; charset=utf-8
    Content-Transfer-Encoding: 8bit
    """,
    text11,
)

# --- 12. KOI8-R body, base64, B-encoded koi8-r subject ----------------------------------
text12 = "Подскажите, можно ли оплатить заказ при получении картой?\n"
LETTERS["12_koi8r_base64.eml"] = letter(
    f"""
    From: {word("Пётр", "koi8-r")} <petr@nm.ru>
    To: help@ozon.ru
    Subject: =?KOI8-R?B?{base64.b64encode("Оплата при получении".encode("koi8-r")).decode()}?=
    Date: Wed, 2 Dec 2026 09:00:00 +0300
    Message-ID: <koi8.base64.1@nm.ru>
    MIME-Version: 1.0
    Content-Type: text/plain; charset="koi8-r"
    Content-Transfer-Encoding: base64
    """,
    b64(text12, "koi8-r"),
)

# --- 13. windows-1251, Q-encoded subject, QP body ---------------------------------------
text13 = "Добрый день! Товар пришёл не того цвета — заказывал чёрный, пришёл белый.\n"
LETTERS["13_cp1251_q_subject.eml"] = letter(
    f"""
    From: {word("Виктор", "windows-1251")} <viktor@list.ru>
    To: help@ozon.ru
    Subject: =?windows-1251?Q?=CD=E5_=F2=EE=F2_=F6=E2=E5=F2?=
    Date: Wed, 2 Dec 2026 09:10:00 +0300
    Message-ID: <cp1251.q.13@list.ru>
    MIME-Version: 1.0
    Content-Type: text/plain; charset=windows-1251
    Content-Transfer-Encoding: quoted-printable
    """,
    qp(text13, "windows-1251"),
)

# --- 14. UTF-8 base64 --------------------------------------------------------------------
text14 = "Здравствуйте! Когда будет в наличии кофемашина, артикул 123456789?\n"
LETTERS["14_utf8_base64.eml"] = letter(
    f"""
    From: kofeman@inbox.ru
    To: help@ozon.ru
    Subject: {word("Наличие товара")}
    Date: Wed, 2 Dec 2026 09:20:00 +0300
    Message-ID: <utf8.b64.14@inbox.ru>
    MIME-Version: 1.0
    Content-Type: text/plain; charset=UTF-8
    Content-Transfer-Encoding: base64
    """,
    b64(text14),
)

# --- 15. no charset declared, raw 8-bit windows-1251 body and subject -------------------
text15 = "Здравствуйте, верните деньги за заказ, товар не подошёл по размеру.\n"
LETTERS["15_undeclared_cp1251.eml"] = (
    b"From: old.client@nm.ru\r\nTo: help@ozon.ru\r\nSubject: "
    + "Возврат".encode("windows-1251")
    + b"\r\nDate: Wed, 2 Dec 2026 09:30:00 +0300\r\nMessage-ID: <raw.8bit.15@nm.ru>\r\n"
    + b"MIME-Version: 1.0\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    + text15.replace("\n", "\r\n").encode("windows-1251")
)

# --- 16. HTML only, windows-1251: a table, a list, styles, a script ---------------------
html16 = (
    "<html><head><style>td{padding:4px}</style><script>var x=1;</script></head><body>"
    "<p>Здравствуйте!</p><p>В заказе не хватает товаров:</p><ul><li>Кружка «Котики» — 2 шт."
    "</li><li>Чайник&nbsp;электрический — 1 шт.</li></ul><table><tr><td>Заказ</td>"
    "<td>70011223-0002</td></tr><tr><td>Дата</td><td>28.11.2026</td></tr></table>"
    "<p>Жду ответа.</p></body></html>"
)
LETTERS["16_html_only_cp1251_table.eml"] = letter(
    f"""
    From: {word("Елена", "windows-1251")} <elena.v@rambler.ru>
    To: help@ozon.ru
    Subject: {word("Неполный заказ", "windows-1251")}
    Date: Wed, 2 Dec 2026 09:40:00 +0300
    Message-ID: <html.only.16@rambler.ru>
    MIME-Version: 1.0
    Content-Type: text/html; charset=windows-1251
    Content-Transfer-Encoding: quoted-printable
    """,
    qp(html16, "windows-1251"),
)

# --- 17. HTML only, UTF-8, entities and a link ------------------------------------------
html17 = (
    "<div>Добрый день!<br><br>Не приходит письмо с &laquo;кодом подтверждения&raquo; "
    'на <a href="mailto:me@example.ru">me@example.ru</a>.<br>Что делать?</div>'
)
LETTERS["17_html_only_entities.eml"] = letter(
    f"""
    From: me@example.ru
    To: help@ozon.ru
    Subject: {word("Код подтверждения")}
    Date: Wed, 2 Dec 2026 09:50:00 +0300
    Message-ID: <html.entities.17@example.ru>
    MIME-Version: 1.0
    Content-Type: text/html; charset=utf-8
    Content-Transfer-Encoding: 8bit
    """,
    html17,
)

# --- 18. Gmail forward, inline: everything kept -----------------------------------------
text18 = (
    "Пересылаю письмо от продавца, он отказывается принимать возврат.\n\n"
    "---------- Forwarded message ---------\nОт: Магазин «Уют» <shop@uyut.example>\n"
    "Date: пт, 27 нояб. 2026 г. в 16:00\nSubject: Возврат\nTo: <ivan.petrov.1987@gmail.com>\n\n"
    "> Возврат по этому товару не предусмотрен.\n"
)
LETTERS["18_gmail_forward_inline.eml"] = letter(
    f"""
    MIME-Version: 1.0
    Date: Wed, 2 Dec 2026 10:00:00 +0300
    Message-ID: <CAHk3x9FWD18@mail.gmail.com>
    Subject: {word("Fwd: Возврат")}
    From: {word("Иван Петров")} <ivan.petrov.1987@gmail.com>
    To: help@ozon.ru
    Content-Type: text/plain; charset="UTF-8"
    Content-Transfer-Encoding: quoted-printable
    """,
    qp(text18, "utf-8"),
)

# --- 19. Outlook forward «FW:», «От: … Отправлено:» kept ---------------------------------
text19 = (
    "Коллеги, посмотрите, пожалуйста, письмо ниже.\n\n"
    "От: Служба доставки <noreply@delivery.example>\nОтправлено: 1 декабря 2026 г. 9:00\n"
    "Кому: Марина Соколова\nТема: Доставка отменена\n\nВаша доставка отменена.\n"
)
LETTERS["19_outlook_forward.eml"] = letter(
    f"""
    From: {word("Марина Соколова", "windows-1251")} <m.sokolova@company.ru>
    To: help@ozon.ru
    Subject: {word("FW: Доставка отменена", "windows-1251")}
    Date: Wed, 2 Dec 2026 10:10:00 +0000
    Message-ID: <FW19@EXCH01.company.local>
    MIME-Version: 1.0
    Content-Type: text/plain; charset="windows-1251"
    Content-Transfer-Encoding: quoted-printable
    """,
    qp(text19, "windows-1251"),
)

# --- 20. A forward as an attachment (message/rfc822) ------------------------------------
LETTERS["20_forward_as_attachment.eml"] = letter(
    f"""
    From: {word("Алексей")} <alexey.k@yandex.ru>
    To: help@ozon.ru
    Subject: {word("Пересылаю уведомление")}
    Date: Wed, 2 Dec 2026 10:20:00 +0300
    Message-ID: <fwd.attached.20@yandex.ru>
    MIME-Version: 1.0
    Content-Type: multipart/mixed; boundary="outer20"
    """,
    f"""--outer20
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Вот какое уведомление мне пришло, это правда от вас?

--outer20
Content-Type: message/rfc822
Content-Disposition: attachment

From: {word("Уведомления")} <notify@ozon-bonus.example>
Subject: {word("Вы выиграли приз")}
Message-ID: <inner20@ozon-bonus.example>
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

{b64("Перейдите по ссылке, чтобы получить приз.")}

--outer20--
""",
)

# --- 21. A PDF with an RFC 2231 Russian file name ---------------------------------------
LETTERS["21_pdf_rfc2231_name.eml"] = letter(
    f"""
    From: buh@firma.example
    To: help@ozon.ru
    Subject: {word("Счёт для юрлица")}
    Date: Wed, 2 Dec 2026 10:30:00 +0300
    Message-ID: <pdf.2231.21@firma.example>
    MIME-Version: 1.0
    Content-Type: multipart/mixed; boundary="b21"
    """,
    f"""--b21
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Прошу выставить счёт по реквизитам во вложении.

--b21
Content-Type: application/pdf
Content-Disposition: attachment; filename*=utf-8''%D0%A0%D0%B5%D0%BA%D0%B2%D0%B8%D0%B7%D0%B8%D1%82%D1%8B.pdf
Content-Transfer-Encoding: base64

{b64(PDF)}
--b21--
""",
)

# --- 22. A .docx the chat does not take, with a photo it does ---------------------------
LETTERS["22_docx_and_png.eml"] = letter(
    f"""
    From: {word("Ирина")} <irina@yandex.ru>
    To: help@ozon.ru
    Subject: {word("Претензия")}
    Date: Wed, 2 Dec 2026 10:40:00 +0300
    Message-ID: <docx.png.22@yandex.ru>
    MIME-Version: 1.0
    Content-Type: multipart/mixed; boundary="b22"
    """,
    f"""--b22
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Претензия и фото — во вложении.

--b22
Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document; name="{word("Претензия.docx")}"
Content-Disposition: attachment; filename="{word("Претензия.docx")}"
Content-Transfer-Encoding: base64

{b64(DOCX)}
--b22
Content-Type: image/png; name="scan.png"
Content-Disposition: attachment; filename="scan.png"
Content-Transfer-Encoding: base64

{b64(PNG)}
--b22--
""",
)

# --- 23. Outlook HTML with an inline signature image (cid) ------------------------------
LETTERS["23_inline_image_cid.eml"] = letter(
    f"""
    From: {word("Денис Орлов")} <d.orlov@corp.example>
    To: help@ozon.ru
    Subject: {word("Юридический адрес в накладной")}
    Date: Wed, 2 Dec 2026 10:50:00 +0300
    Message-ID: <inline.cid.23@corp.example>
    MIME-Version: 1.0
    Content-Type: multipart/related; boundary="r23"; type="text/html"
    """,
    f"""--r23
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64

{b64('<p>Добрый день! В накладной указан неверный юридический адрес.</p><p><img src="cid:logo@01D9" alt="Логотип"></p>')}
--r23
Content-Type: image/png; name="image001.png"
Content-ID: <logo@01D9>
Content-Disposition: inline; filename="image001.png"
Content-Transfer-Encoding: base64

{b64(PNG)}
--r23--
""",
)

# --- 24. The customer typed the request number: «№ S-2026-0000012» ----------------------
LETTERS["24_ticket_typed_in_subject.eml"] = letter(
    f"""
    From: seller.shop@yandex.ru
    To: sellersup@ozon.ru
    Subject: {word("Запрос № S-2026-0000012 — уточнение")}
    Date: Wed, 2 Dec 2026 11:00:00 +0300
    Message-ID: <ticket.typed.24@yandex.ru>
    MIME-Version: 1.0
    Content-Type: text/plain; charset=utf-8
    Content-Transfer-Encoding: 8bit
    """,
    "Добавляю к запросу: отчёт за ноябрь тоже не сходится.\n",
)

# --- 25. A reply whose client dropped In-Reply-To: the number in the subject -------------
LETTERS["25_reply_without_headers.eml"] = letter(
    f"""
    From: anna_k@mail.ru
    To: help@ozon.ru
    Subject: {word("Re: Подарочный сертификат [№ 612]")}
    Date: Wed, 2 Dec 2026 11:10:00 +0300
    Message-ID: <no.headers.25@mail.ru>
    MIME-Version: 1.0
    Content-Type: text/plain; charset=utf-8
    Content-Transfer-Encoding: 8bit
    """,
    "И ещё вопрос: можно ли подарить сертификат другому человеку?\n",
)

# --- 26. Outlook's out-of-office auto-reply ----------------------------------------------
LETTERS["26_outlook_auto_reply.eml"] = letter(
    f"""
    From: {word("Марина Соколова", "windows-1251")} <m.sokolova@company.ru>
    To: "OZON.RU" <help@ozon.ru>
    Subject: {word("Автоматический ответ: Возврат денег [№ 2210]", "windows-1251")}
    Date: Wed, 2 Dec 2026 11:20:00 +0000
    Message-ID: <OOF26@EXCH01.company.local>
    In-Reply-To: <md.12.abcdef0123456789abcdef0123456789@ozon.ru>
    Auto-Submitted: auto-replied
    X-Auto-Response-Suppress: All
    X-MS-Exchange-Inbox-Rules-Loop: m.sokolova@company.ru
    MIME-Version: 1.0
    Content-Type: text/plain; charset="windows-1251"
    Content-Transfer-Encoding: quoted-printable
    """,
    qp("Я в отпуске до 14 декабря. По срочным вопросам пишите коллегам.\n", "windows-1251"),
)

# --- 27. Yandex's autoresponder: X-Autoreply only ---------------------------------------
LETTERS["27_yandex_x_autoreply.eml"] = letter(
    f"""
    From: d.kovalev@yandex.ru
    To: help@ozon.ru
    Subject: {word("Re: Повреждённый товар [№ 5120]")}
    Date: Wed, 2 Dec 2026 11:30:00 +0300
    Message-ID: <autoreply27@yandex.ru>
    X-Autoreply: yes
    MIME-Version: 1.0
    Content-Type: text/plain; charset=utf-8
    Content-Transfer-Encoding: 8bit
    """,
    "Спасибо за письмо! Я отвечу, как только смогу.\n",
)

# --- 28. A bounce: multipart/report from MAILER-DAEMON, Return-Path <> -------------------
LETTERS["28_bounce_dsn.eml"] = letter(
    """
    Return-Path: <>
    From: MAILER-DAEMON@mx.ozon.ru (Mail Delivery System)
    To: help@ozon.ru
    Subject: Undelivered Mail Returned to Sender
    Date: Wed, 2 Dec 2026 11:40:00 +0300
    Message-ID: <20261202084000.DSN28@mx.ozon.ru>
    Auto-Submitted: auto-replied
    MIME-Version: 1.0
    Content-Type: multipart/report; report-type=delivery-status; boundary="dsn28"
    """,
    """--dsn28
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.ozon.ru.
I'm sorry to have to inform you that your message could not be delivered.

--dsn28
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.ozon.ru
Final-Recipient: rfc822; nobody@nowhere.example
Action: failed
Status: 5.1.1

--dsn28--
""",
)

# --- 29. A Russian bounce in plain text from mailer-daemon@ -----------------------------
LETTERS["29_bounce_mailru_plain.eml"] = letter(
    f"""
    From: mailer-daemon@corp.mail.ru
    To: help@ozon.ru
    Subject: {word("Недоставленное сообщение")}
    Date: Wed, 2 Dec 2026 11:50:00 +0300
    Message-ID: <bounce29@corp.mail.ru>
    MIME-Version: 1.0
    Content-Type: text/plain; charset=utf-8
    Content-Transfer-Encoding: 8bit
    """,
    "Это письмо создано автоматически сервером Mail.ru.\nПисьмо не доставлено: ящик переполнен.\n",
)

# --- 30. A newsletter: Precedence: bulk, List-Unsubscribe -------------------------------
LETTERS["30_newsletter_bulk.eml"] = letter(
    f"""
    From: news@shop.example
    To: help@ozon.ru
    Subject: {word("Скидки недели!")}
    Date: Wed, 2 Dec 2026 12:00:00 +0300
    Message-ID: <news30@shop.example>
    Precedence: bulk
    List-Unsubscribe: <https://shop.example/unsubscribe?u=1>
    MIME-Version: 1.0
    Content-Type: text/plain; charset=utf-8
    Content-Transfer-Encoding: 8bit
    """,
    "Только на этой неделе скидки до 50%!\n",
)

# --- 31. A seller's first letter to sellersup@ -------------------------------------------
LETTERS["31_seller_new_letter.eml"] = letter(
    f"""
    From: {word("ИП Смирнов")} <ip.smirnov@yandex.ru>
    To: sellersup@ozon.ru
    Subject: {word("Неправильный статус заказа 70011223-0002")}
    Date: Wed, 2 Dec 2026 12:10:00 +0300
    Message-ID: <seller31@yandex.ru>
    MIME-Version: 1.0
    Content-Type: text/plain; charset=utf-8
    Content-Transfer-Encoding: 8bit
    """,
    "Заказ в статусе «Доставлен», хотя покупатель его не получил.\n",
)

# --- 32. No Message-ID at all (an old script's letter) ----------------------------------
LETTERS["32_no_message_id.eml"] = letter(
    f"""
    From: robot.client@nm.ru
    To: help@ozon.ru
    Subject: {word("Вопрос без идентификатора")}
    Date: Wed, 2 Dec 2026 12:20:00 +0300
    MIME-Version: 1.0
    Content-Type: text/plain; charset=utf-8
    Content-Transfer-Encoding: 8bit
    """,
    "Письмо без Message-ID.\n",
)

# --- 33. Interleaved answers between quoted lines ----------------------------------------
text33 = "> Укажите номер заказа.\n80011223-0007\n> Укажите способ оплаты.\nКартой онлайн.\n"
LETTERS["33_interleaved_reply.eml"] = letter(
    f"""
    From: quick@mail.ru
    To: help@ozon.ru
    Subject: {word("Re: Уточнение [№ 777]")}
    Date: Wed, 2 Dec 2026 12:30:00 +0300
    Message-ID: <interleaved33@mail.ru>
    In-Reply-To: <md.70.77777777777777777777777777777777@ozon.ru>
    MIME-Version: 1.0
    Content-Type: text/plain; charset=utf-8
    Content-Transfer-Encoding: 8bit
    """,
    text33,
)

# --- 34. Apple Mail English UI: «On … wrote:», a long References chain ------------------
text34 = (
    "Всё получил, спасибо!\n\n"
    "On 2 Dec 2026, at 09:00, OZON.RU <help@ozon.ru> wrote:\n\n"
    "> Ваш заказ доставлен в пункт выдачи.\n"
)
LETTERS["34_apple_mail_wrote.eml"] = letter(
    f"""
    Content-Type: text/plain; charset=utf-8
    Content-Transfer-Encoding: quoted-printable
    Mime-Version: 1.0 (Mac OS X Mail 16.0)
    Subject: Re: {word("Где мой заказ? [№ 1042]")}
    From: Ivan Petrov <ivan.petrov.1987@gmail.com>
    In-Reply-To: {OUR}
    Date: Wed, 2 Dec 2026 12:40:00 +0300
    Message-Id: <APPLE34@gmail.com>
    References: {THEIRS} {OUR_FIRST}
     {OUR}
    To: OZON.RU <help@ozon.ru>
    X-Mailer: Apple Mail (2.3731)
    """,
    qp(text34, "utf-8"),
)


def main() -> None:
    for name, raw in LETTERS.items():
        (HERE / name).write_bytes(raw)
    print(f"{len(LETTERS)} letters written to {HERE}")


if __name__ == "__main__":
    main()
