"""An e-mail's body as the transcript shows it: HTML turned into readable text, the quoted
history and the signature cut (the letter itself is kept whole, see ``inbound``).

What is cut, in plain text (HTML is turned into text first, its ``<blockquote>`` and
Gmail's ``gmail_quote`` removed before):

* from Outlook's «-----Original Message-----» / «-----Исходное сообщение-----», and from its
  header block «От: … / Отправлено: …» (``From: … / Sent: …``) to the end;
* from the attribution line of Gmail, Yandex, Mail.ru and Thunderbird («… пишет:»,
  «… wrote:», «пн, 30 нояб. 2026 г. в 12:00, OZON.RU <help@ozon.ru>:») to the end;
* every line quoted with ``>``;
* from the signature separator ``-- `` to the end, and the mobile clients' «Отправлено с
  iPhone» lines.

A forwarded letter (``Fwd:``, ``FW:``, «Пересл.:») keeps everything: what was forwarded is
the point of it.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

__all__ = ["clean_text", "html_to_text", "is_forward"]

_BLOCKS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "center",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "ul",
    ]
)
_PARAGRAPHS = frozenset(["p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol"])
_SKIPPED = frozenset(
    ["head", "style", "script", "title", "meta", "link", "noscript", "template", "svg"]
)
_QUOTES = (
    "blockquote, .gmail_quote, .gmail_extra, .yahoo_quoted, #divRplyFwdMsg ~ *, "
    "#divRplyFwdMsg, div.moz-cite-prefix, #appendonsend ~ *"
)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b\u200c\u200d\ufeff]+")


def html_to_text(html: str, *, keep_quotes: bool = False) -> str:
    """Readable text of an HTML body: blocks on lines of their own, paragraphs apart, list
    items marked, links' text kept; styles, scripts and (unless ``keep_quotes``) the quoted
    history dropped."""
    tree = LexborHTMLParser(html)
    root = tree.body or tree.root
    if root is None:
        return ""
    if not keep_quotes:
        for node in tree.css(_QUOTES):
            node.decompose()
    out: list[str] = []
    try:
        _walk(root, out, pre=False)
    except RecursionError:  # absurdly nested markup: its plain text, lines as they come
        out = [root.text(separator="\n")]
    return _tidy("".join(out))


def _walk(node: LexborNode, out: list[str], *, pre: bool) -> None:
    for child in node.iter(include_text=True):
        tag = child.tag
        if tag == "-text":
            text = child.text_content or ""
            out.append(text if pre else _SPACES.sub(" ", text).replace("\n", " "))
            continue
        if tag in _SKIPPED or tag is None or tag.startswith("#") or tag == "img":
            continue
        if tag == "br":
            out.append("\n")
            continue
        block = 2 if tag in _PARAGRAPHS else 1 if tag in _BLOCKS else 0
        _break(out, block)
        if tag == "li":
            out.append("• ")
        _walk(child, out, pre=pre or tag == "pre")
        if tag in ("td", "th"):
            out.append("\t")
        _break(out, block)


def _break(out: list[str], lines: int) -> None:
    """End the text so far with at least ``lines`` line breaks (a block's edge: its
    neighbours' edges do not add up to empty lines)."""
    if not lines:
        return
    tail = "".join(out[-8:]).rstrip(" \t")
    have = len(tail) - len(tail.rstrip("\n"))
    if have < lines:
        out.append("\n" * (lines - have))


def _tidy(text: str) -> str:
    """Lines stripped, at most one empty line in a row, none at the ends."""
    lines = [_SPACES.sub(" ", line.replace("\t", " ")).strip() for line in text.split("\n")]
    kept: list[str] = []
    for line in lines:
        if not line and (not kept or not kept[-1]):
            continue
        kept.append(line)
    while kept and not kept[-1]:
        kept.pop()
    return "\n".join(kept)


_FORWARD = re.compile(r"^\s*(fwd?|fw|пересл(ано)?|переслано)\s*(\[\d+\])?\s*:", re.IGNORECASE)


def is_forward(subject: str) -> bool:
    return bool(_FORWARD.match(subject))


_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(original message|исходное сообщение|исходное письмо)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(r"^\s*\*?(от|from)\s*:\*?\s+\S", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    r"^\s*\*?(отправлено|дата|sent|date|кому|to|тема|subject)\s*:", re.IGNORECASE
)
_ATTRIBUTION = re.compile(
    r"(пишет|писал|писала|написал|написала|написал\(а\)|писал\(а\)|wrote)\s*:\s*$",
    re.IGNORECASE,
)
_ADDRESS_COLON = re.compile(r"<?\b[\w.+-]+@[\w-]+(\.[\w-]+)+>?\s*\]?:\s*$")
_DATE_HINT = re.compile(
    r"\d{1,2}[.:/ ]|\b(пн|вт|ср|чт|пт|сб|вс|mon|tue|wed|thu|fri|sat|sun)\b", re.IGNORECASE
)
_MOBILE = re.compile(
    r"^\s*(отправлено|послано|sent)\s+(с|со|из|from|via)\s+.{0,60}$"
    r"|^\s*(get outlook for|скачайте outlook для)\b.{0,40}$",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(r"^--\s?$")


def clean_text(text: str, *, forward: bool = False) -> str:
    """``text`` without the quoted history and the signature (see the module's docstring);
    a forward loses nothing but its trailing spaces."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not forward:
        lines = lines[: _history_start(lines)]
        lines = [line for line in lines if not line.lstrip().startswith(">")]
        for index, line in enumerate(lines):
            if _SIGNATURE.match(line):
                lines = lines[:index]
                break
        while lines and (not lines[-1].strip() or _MOBILE.match(lines[-1])):
            lines.pop()
    return _tidy("\n".join(line.rstrip() for line in lines))


def _history_start(lines: list[str]) -> int:
    """Where the quoted history starts (``len(lines)``: none)."""
    for index, line in enumerate(lines):
        if _ORIGINAL.match(line):
            return index
        if _HEADER_FROM.match(line) and any(
            _HEADER_NEXT.match(following) for following in lines[index + 1 : index + 4]
        ):
            return index
        if _is_attribution(line, lines[index + 1 : index + 3]):
            return index
        # an attribution wrapped over two lines by the client
        if (
            index + 1 < len(lines)
            and line.strip()
            and _is_attribution(
                f"{line.rstrip()} {lines[index + 1].strip()}", lines[index + 2 : index + 4]
            )
        ):
            return index
    return len(lines)


def _is_attribution(line: str, following: list[str]) -> bool:
    stripped = line.strip()
    if not stripped.endswith(":") or len(stripped) > 300:
        return False
    if _ATTRIBUTION.search(stripped):
        # «30.11.2026 18:02, OZON.RU пишет:» — not «Вот что мне написал продавец:»
        return bool(_DATE_HINT.search(stripped) or "@" in stripped)
    # «пн, 30 нояб. 2026 г. в 12:00, OZON.RU <help@ozon.ru>:» — a date and an address,
    # followed by the quote (or nothing: the quote was HTML and is gone)
    quoted_next = any(f.lstrip().startswith(">") for f in following if f.strip())
    rest_empty = not any(f.strip() for f in following)
    return bool(
        _ADDRESS_COLON.search(stripped)
        and _DATE_HINT.search(stripped)
        and (quoted_next or rest_empty)
    )
