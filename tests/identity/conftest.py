"""The identity tests use the live-chat fixtures (a database and an app of their own)."""

from tests.chat.conftest import env, fresh_env

__all__ = ["env", "fresh_env"]
