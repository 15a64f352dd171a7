"""The status pages' tests share the small world of tests/support/pages.py."""

from tests.support.meetings import dticc, meeting_factory  # noqa: F401
from tests.support.pages import fresh_cache, world  # noqa: F401
