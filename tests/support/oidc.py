"""A real OpenID Connect provider for the sign-in tests: panva's oidc-provider, run by node in its
own process on 127.0.0.1 (tests/support/oidc_provider/, installed by `make test`).

What it knows lives in one JSON file it reads on every request, so a test changes an account's
claims, or makes the provider misbehave, by writing that file (`set_account`, `misbehave`).
`sign_in_over_http` walks the whole flow with `requests` (no browser) for the cases the browser
tests do not need to show.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc_provider"
CLIENT_ID = "tracker"
CLIENT_SECRET = "test-only-client-secret-for-the-tracker"  # noqa: S105
NAME, LABEL = "test", "Test IdP"


def unavailable() -> str | None:
    """Why the provider cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed (the sign-in tests' provider needs it)"
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        return "the test provider's npm packages are missing (run `make test`, which installs them)"
    return None


def require_provider() -> None:
    """Skip when node or the provider's packages are missing, except in CI, where that fails."""
    from tests.conftest import in_ci  # here: tests/conftest.py imports this module

    reason = unavailable()
    if reason:
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)


class TestProvider:
    __test__ = False  # not a test class

    def __init__(self, workdir: Path, *, site_url: str):
        self.state_file = workdir / "oidc-provider-state.json"
        self.log = workdir / "oidc-provider.log"
        self.site_url = site_url
        self.state: dict[str, Any] = {
            "clients": [
                {
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "redirect_uris": [f"{site_url}/accounts/oidc/{NAME}/callback/"],
                    "post_logout_redirect_uris": [f"{site_url}/accounts/login/"],
                }
            ],
            "accounts": {},
            "misbehave": None,
        }
        self._write()
        self._fh = self.log.open("ab")
        self.issuer = self._start()

    def _start(self, attempts: int = 2) -> str:
        """Start node and wait for its address. A start that hangs (seen once on a loaded
        machine: alive, never listening) is stopped and tried once more, never left running."""
        for attempt in range(attempts):
            self.proc = subprocess.Popen(
                ["node", "server.mjs"],
                cwd=PROVIDER_DIR,
                env={**os.environ, "STATE_FILE": str(self.state_file), "PORT": "0"},
                stdout=self._fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                return self._wait_for_issuer()
            except RuntimeError:
                self._end_process()
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    def _wait_for_issuer(self, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(r"listening on (http://\S+)", self.log.read_text(errors="replace"))
            if found:
                return found.group(1)
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"the test provider did not start:\n{self.log.read_text()[-3000:]}")

    def _write(self) -> None:
        temporary = self.state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.state))
        temporary.replace(self.state_file)  # the provider never reads half a file

    def reset(self) -> None:
        self.state["accounts"], self.state["misbehave"] = {}, None
        self._write()

    def set_account(
        self, login: str, *, amr: tuple[str, ...] = ("pwd",), acr: str | None = None, **claims
    ) -> None:
        """Who can sign in as `login`, with which claims (and how they authenticated)."""
        account: dict[str, Any] = {"claims": claims, "amr": list(amr)}
        if acr:
            account["acr"] = acr
        self.state["accounts"][login] = account
        self._write()

    def misbehave(self, mode: str | None) -> None:
        """How the provider's next ID tokens go wrong: "audience", "nonce", "signature"."""
        self.state["misbehave"] = mode
        self._write()

    def settings_entry(self, **overrides) -> dict[str, Any]:
        return provider_entry(self.issuer, **overrides)

    def _end_process(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def stop(self) -> None:
        self._end_process()
        self._fh.close()


def provider_entry(issuer: str, **overrides) -> dict[str, Any]:
    """An OIDC_PROVIDERS entry for the test provider at `issuer`, as config/settings.py
    builds one from the environment."""
    entry = {
        "name": NAME,
        "label": LABEL,
        "issuer": issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scopes": "openid email profile tracker",
        "claim_names": {c: c for c in ("groups", "clearances", "country", "organization")},
        "groups": {"readers": "readers", "owners": "owners", "coordinators": "coordinators"},
        "clearances": {"us-only": "us-only", "kr-only": "kr-only", "us-kr": "us-kr"},
        "require_role": False,
        "link_by_email": True,
        "mfa_amr": ["mfa"],
        "mfa_acr": [],
    }
    entry.update(overrides)
    return entry


def claims_of(person: str, **changes) -> dict[str, Any]:
    """A set of claims for a test person, with `changes` on top."""
    claims = {
        "email": f"{person}@example.org",
        "email_verified": True,
        "name": person.title(),
        "locale": "en-US",
        "zoneinfo": "America/New_York",
        "country": "US",
        "groups": ["readers"],
        "clearances": [],
    }
    claims.update(changes)
    return claims


def sign_in_over_http(
    session: requests.Session,
    *,
    site_url: str,
    login: str,
    next_url: str = "",
    stop_at_callback: bool = False,
) -> requests.Response:
    """Start at the tracker's provider button, sign in as `login` on the provider's page, and
    follow the redirects back. With `stop_at_callback`, the response that sends the browser to
    the tracker's callback is returned instead (its Location holds code and state)."""
    started = session.get(
        f"{site_url}/accounts/oidc/{NAME}/login/", params={"next": next_url}, timeout=30
    )
    form = re.search(r'action="(/interaction/[^"]+/login)"', started.text)
    assert form, f"no login form at the provider:\n{started.text[:2000]}"
    issuer = re.match(r"https?://[^/]+", started.url).group(0)
    response = session.post(
        issuer + form.group(1), data={"login": login}, allow_redirects=False, timeout=30
    )
    while response.is_redirect:
        location = requests.compat.urljoin(response.url, response.headers["location"])
        if stop_at_callback and "/callback/" in location:
            return response
        response = session.get(location, allow_redirects=False, timeout=30)
    return response


@pytest.fixture(scope="session")
def oidc_provider(live_server, tmp_path_factory):
    """The provider process, started once for the run, knowing the live server's addresses."""
    require_provider()
    provider = TestProvider(tmp_path_factory.mktemp("oidc"), site_url=live_server.url)
    yield provider
    provider.stop()


@pytest.fixture
def oidc(oidc_provider, settings, live_server, transactional_db):
    """The test provider as the tracker's only provider, with no accounts and behaving well.

    The live server reads the database from another thread, so these tests commit; the flush
    after each drops the role groups the roles migration made, which come back first."""
    from tests.support.db import restore_role_groups

    restore_role_groups()
    oidc_provider.reset()
    settings.OIDC_PROVIDERS = [oidc_provider.settings_entry()]
    settings.OIDC_LOGIN_BUTTONS = True
    settings.SITE_URL = live_server.url
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"].append(oidc_provider.issuer)  # as config/settings.py does
    settings.CONTENT_SECURITY_POLICY = policy
    return oidc_provider
