"""Pure marketplace rules and value types taken from the seed documents.

Nothing here performs I/O or imports a framework. Import the area module you
need directly, e.g. ``from marketdesk.domain.markdown import check_markdown``;
this package deliberately does not import its submodules eagerly.
"""

__all__: list[str] = []
