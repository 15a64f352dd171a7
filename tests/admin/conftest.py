"""Fixtures for the admin tests come from tests/support/admin.py."""

from tests.support.admin import otp_admin_client, signed_in  # noqa: F401
