"""Fixtures of the security tests, and the line they add to the summary of every `make test` run."""

from tests.support.admin import (  # noqa: F401
    as_coordinator,
    coordinator,
    otp_admin_client,
    signed_in,
)
from tests.support.leaks import REPORT, leak_world  # noqa: F401
from tests.support.pages import fresh_cache, world  # noqa: F401
from tests.webhooks.conftest import receiver  # noqa: F401


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not REPORT:
        return
    terminalreporter.write_sep("-", "security")
    if "pairs" in REPORT:
        terminalreporter.write_line(
            f"leak matrix: {REPORT['pairs']} (user, exit) pairs checked, "
            f"{REPORT['leaks']} leaks, {REPORT['errors']} server errors"
        )
    if "lookup_pairs" in REPORT:
        terminalreporter.write_line(
            f"leak matrix, admin list lookups: {REPORT['lookup_pairs']} (user, hidden id, "
            f"missing id) pairs compared, {REPORT['lookup_leaks']} leaks"
        )
    if "webhook_pairs" in REPORT:
        terminalreporter.write_line(
            f"leak matrix, webhooks: {REPORT['webhook_pairs']} (endpoint, event) deliveries "
            f"checked, {REPORT['webhook_leaks']} leaks"
        )
    if "import_rows" in REPORT:
        terminalreporter.write_line(
            f"CSV import at its limits ({REPORT['import_rows']} rows, "
            f"{REPORT['import_bytes']:,} bytes): preview {REPORT['import_preview']:.1f} s, "
            f"confirm {REPORT['import_confirm']:.1f} s"
        )
