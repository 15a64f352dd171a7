"""Fixtures for the admin tests come from tests/support/admin.py."""

from tests.support.admin import (  # noqa: F401
    as_coordinator,
    coordinator,
    otp_admin_client,
    signed_in,
)
