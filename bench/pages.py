"""Page load: gunicorn (2 workers) on the largest data set; wrk on each page and a trivial view.

Every page is requested as the same signed-in coordinator (cleared for every marking, so the
pages hold all the items); the trivial view gets the same session cookie, so the two differ only
by what the page itself does. wrk comes from Debian (`apt-get install wrk`, done here if missing).
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .env import ROOT, VAR, stage_env, stop_process, wait_for_postgres

TRIVIAL = "/bench/trivial"


@dataclass
class Load:
    path: str
    rate: float  # requests per second
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # non-2xx/3xx responses and socket errors


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run(["apt-get", "update", "-qq"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk"],
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    return shutil.which("wrk") or "wrk"


def collect_static(size: int) -> None:
    # DEBUG=0 serves static files from the manifest, which collectstatic writes.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=stage_env(size),
        check=True,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def server(size: int, *, workers: int = 2) -> Iterator[str]:
    """gunicorn on loopback with the bench settings, yielding its base URL; stopped on exit."""
    port = free_port()
    VAR.mkdir(parents=True, exist_ok=True)
    log = (VAR / "gunicorn.log").open("wb")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=stage_env(size),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_for_port(proc, port)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc)
        log.close()


def _wait_for_port(proc: subprocess.Popen, port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited: see {VAR / 'gunicorn.log'}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.2)
    raise TimeoutError("gunicorn did not open its port")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def login(base: str, username: str, password: str) -> str:
    """Sign in through the login form; returns the Cookie header for wrk."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    page = opener.open(f"{base}/accounts/login/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token}
    ).encode()
    with contextlib.suppress(urllib.error.HTTPError):  # the 302 after a good login
        opener.open(f"{base}/accounts/login/", data=form, timeout=30)
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies:
        raise RuntimeError(f"login as {username} failed")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def check_page(base: str, path: str, cookie: str) -> int:
    """GET the page once as the signed-in user; it must be a 200 (not a redirect to login)."""
    request = urllib.request.Request(f"{base}{path}", headers={"Cookie": cookie})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=60) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"{path} answered {error.code}") from error
    if status != 200:
        raise RuntimeError(f"{path} answered {status}")
    return len(body)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * _UNITS[unit]


def run_wrk(
    wrk: str,
    base: str,
    path: str,
    cookie: str,
    *,
    seconds: int,
    threads: int = 2,
    connections: int = 8,
) -> Load:
    out = subprocess.run(
        [
            wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "--timeout",
            "30s",
            "-H",
            f"Cookie: {cookie}",
            f"{base}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    socket_errors = re.search(r"Socket errors: (.*)", out)
    if socket_errors:
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return Load(
        path=path,
        rate=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50_ms=_ms(re.search(r"\s50%\s+(\S+)", out).group(1)),
        p99_ms=_ms(re.search(r"\s99%\s+(\S+)", out).group(1)),
        requests=int(re.search(r"(\d+) requests in", out).group(1)),
        errors=errors,
    )


def _measure_one(wrk: str, base: str, path: str, cookie: str, seconds: int) -> Load:
    for _attempt in range(3):
        run_wrk(wrk, base, path, cookie, seconds=2)  # warm both workers and their connections
        load = run_wrk(wrk, base, path, cookie, seconds=seconds)
        if not load.errors:
            break
        # Errors come from the database restarting under us (a shared machine): the figures
        # would measure the outage, so measure again once it answers.
        wait_for_postgres()
    return load


def measure(
    *, size: int, pages: dict[str, str], username: str, password: str, seconds: int = 10
) -> dict[str, tuple[Load, Load] | str]:
    """Each page (name -> path) as (page, trivial view) measured back to back.

    The trivial view is measured again right before each page, so a change in what else the
    machine is doing hits both sides of a ratio alike. A page that does not answer 200 is
    reported as a string saying why, not measured.
    """
    wrk = ensure_wrk()
    collect_static(size)
    results: dict[str, tuple[Load, Load] | str] = {}
    with server(size) as base:
        cookie = login(base, username, password)
        check_page(base, TRIVIAL, cookie)
        for name, path in pages.items():
            try:
                check_page(base, path, cookie)
            except RuntimeError as error:
                results[name] = f"not measured: {error}"
                continue
            trivial = _measure_one(wrk, base, TRIVIAL, cookie, seconds)
            results[name] = (_measure_one(wrk, base, path, cookie, seconds), trivial)
    return results
