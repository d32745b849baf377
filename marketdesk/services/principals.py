"""Who is making a request: an operator (with roles), a customer or an anonymous visitor."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from marketdesk.domain.roles import Role

from .errors import RoleRequired, StaffOnly

__all__ = ["OPERATOR_ROLES", "Principal"]

OPERATOR_ROLES = frozenset(Role)


@dataclass(frozen=True, slots=True)
class Principal:
    kind: Literal["operator", "customer", "visitor"]
    id: int | str
    name: str = ""
    roles: frozenset[str] = field(default_factory=frozenset)
    session_id: int | None = None

    @property
    def is_operator(self) -> bool:
        return self.kind == "operator"

    def require_operator(self, *roles: str) -> None:
        """Staff only; with roles given, at least one of them (admin may do everything)."""
        if not self.is_operator:
            raise StaffOnly()
        if roles and not (self.roles & (set(roles) | {Role.ADMIN})):
            raise RoleRequired()
