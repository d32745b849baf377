"""Names as types (issue 19): staff roles, channels, record ids."""

import pytest

from marketdesk.domain import chat_access
from marketdesk.domain.channels import CHANNEL_TITLES_RU, Channel
from marketdesk.domain.ids import MAX_ID, is_record_id
from marketdesk.domain.roles import CHAT_ROLES, SUPERVISOR_ROLES, Role


def test_roles_are_the_database_values_in_order() -> None:
    assert [r.value for r in Role] == ["operator", "backoffice", "supervisor", "admin"]


def test_role_sets_of_the_access_rule_come_from_the_enum() -> None:
    assert chat_access.SUPERVISOR_ROLES == SUPERVISOR_ROLES == {"supervisor", "admin"}
    assert chat_access.CHAT_WRITER_ROLES == CHAT_ROLES == {"operator", "supervisor", "admin"}
    assert Role.BACKOFFICE not in CHAT_ROLES  # back office reads, does not write in chats


def test_a_role_compares_and_hashes_as_its_string() -> None:
    """Roles read from the database are plain strings: the enum must match them."""
    assert "supervisor" in SUPERVISOR_ROLES
    assert frozenset({"admin", "operator"}) & SUPERVISOR_ROLES == {Role.ADMIN}


def test_channels() -> None:
    assert [c.value for c in Channel] == ["web", "email", "telegram", "vk"]
    assert set(CHANNEL_TITLES_RU) == set(Channel)
    assert Channel.VK.title_ru == "ВКонтакте"


@pytest.mark.parametrize(
    ("value", "valid"),
    [(1, True), (MAX_ID, True), (MAX_ID + 1, False), (0, False), (-1, False)],
)
def test_record_ids(value: int, valid: bool) -> None:
    assert MAX_ID == 2**63 - 1  # a signed 64-bit BIGINT
    assert is_record_id(value) is valid
