"""Finding links in a text: the one URL finder of the phishing check and the bot.

A link is either written with its scheme or «www.» («https://ozon-pay.xyz/pay»,
«www.ozon.ru») and then runs to the first space, quote, bracket or angle bracket; or it is
a bare host name with one of the :data:`TOP_LEVEL_DOMAINS` («ozon-pay.xyz/pay?id=1»,
«0zon.ru», «озон.рф»), not part of an e-mail address or of a longer word. The list holds
the Russian zones and the zones that scam mailings use; a host in any other zone is found
only when it is written with its scheme or «www.».
"""

import re
from typing import Final

__all__ = ["LINK_RE", "TOP_LEVEL_DOMAINS", "find_links"]

TOP_LEVEL_DOMAINS: Final = (
    "ru|рф|su|com|net|org|info|biz|xyz|top|online|site|shop|store|club|me|io|cc|pro|link|"
    "app|click|ly|co|tk|ml|ga|cf|gq|ws|live|fun|icu|vip|win|buzz|space|website|tech"
)
"""The zones a bare host name is recognised in (``|``-separated, for the pattern)."""

_NOT_IN_LINK: Final = r"\s<>\"'«»()\[\]{}"

LINK_RE: Final = re.compile(
    rf"(?:https?://|www\.)[^{_NOT_IN_LINK}]+"
    rf"|(?<![@\w.\-])(?:[\w\-]+\.)+(?:{TOP_LEVEL_DOMAINS})(?![\w\-])(?:[/?#][^{_NOT_IN_LINK}]*)?",
    re.IGNORECASE,
)
"""A link (see the module's description); use :func:`find_links`, or ``LINK_RE.sub`` to
blank the links of a text out."""


def find_links(text: str) -> list[str]:
    """The links in ``text``, in order (as written: a trailing «.» or «,» may stay on one)."""
    return [match.group(0) for match in LINK_RE.finditer(text)]
