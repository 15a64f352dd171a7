"""The browser tests use the status pages' small world."""

from tests.support.pages import fresh_cache, world  # noqa: F401
