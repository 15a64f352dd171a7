"""The status pages' tests share the small world of tests/support/pages.py."""

from tests.support.pages import fresh_cache, world  # noqa: F401
