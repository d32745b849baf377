"""Staff roles: what an operator account may do.

* ``operator``: answers customers in the chat of their lines;
* ``backoffice``: works the back-office task queues; reads the conversations of its lines
  but does not write in chats;
* ``supervisor``: every line, the queues, the audit log and the SMS deliveries;
* ``admin``: may do everything.

Which role an action needs is the action's rule (``services/``); the sets below are the
ones several rules share.
"""

from enum import StrEnum
from typing import Final

__all__ = ["CHAT_ROLES", "SUPERVISOR_ROLES", "Role"]


class Role(StrEnum):
    """A staff role (the order is the one of the database constraint)."""

    OPERATOR = "operator"
    BACKOFFICE = "backoffice"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


SUPERVISOR_ROLES: Final = frozenset({Role.SUPERVISOR, Role.ADMIN})
"""The roles that see every line."""

CHAT_ROLES: Final = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN})
"""The roles that write in chats (back office does not)."""
