"""Load and crash tests for signet (issue 5, "Faults and load").

Everything runs against the real `signet serve` binary on loopback with a
real SQLite file:

- 200 concurrent SP-initiated sign-ins of 200 distinct users complete with no
  error, and every session they opened still works afterwards;
- `kill -9` in the middle of such a load, then a restart: SQLite's
  integrity check is ok, keys and users are intact, and sessions issued
  before the kill still sign in without a password.

Loops are bounded in count and time, and only 127.0.0.1 is ever contacted.
The throughput is printed with the ratio to `openssl speed rsa2048` signs
per second measured in the same run; nothing asserts a speed.
"""

from __future__ import annotations

import base64
import concurrent.futures as futures
import datetime as dt
import html
import os
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.parse
import zlib
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
USERS = 200
PASSWORD = "load test password 1"
ACS = "https://sp.example.test/sso/saml/acs/load?connection=conn_load"
AUDIENCE = "https://sp.example.test/saml/metadata"
DEADLINE_S = 240


def binary() -> Path:
    configured = os.environ.get("SIGNET_BIN")
    return Path(configured) if configured else REPO / "target" / "debug" / "signet"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Signet:
    """A signet process with its own data directory, restartable."""

    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.data = root / "data"
        self.config = root / "signet.toml"
        self.config.write_text(
            f'listen = "127.0.0.1:{self.port}"\n'
            f'external_url = "{self.base}"\n'
            f'data_dir = "{self.data}"\n'
            'log = "warn"\n'
        )
        self.log = root / "server.log"
        self.process: subprocess.Popen | None = None

    def cli(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [str(binary()), "--config", str(self.config), *args],
            input=stdin, capture_output=True, text=True, timeout=120,
        )
        assert done.returncode == 0, f"signet {' '.join(args)}: {done.stderr}"
        return done.stdout

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(binary()), "--config", str(self.config), "serve"],
            stdin=subprocess.DEVNULL, stdout=self.log.open("a"), stderr=subprocess.STDOUT,
        )
        for _ in range(200):
            try:
                if requests.get(f"{self.base}/-/health/", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise AssertionError(f"signet did not start: {self.log.read_text()[-2000:]}")

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def authn_request_query() -> str:
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    xml = (
        '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'ID="_{secrets.token_hex(16)}" Version="2.0" IssueInstant="{now}" '
        f'AssertionConsumerServiceURL="{html.escape(ACS)}" '
        'ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">'
        f"<saml:Issuer>{AUDIENCE}</saml:Issuer></samlp:AuthnRequest>"
    )
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw = deflater.compress(xml.encode()) + deflater.flush()
    return "SAMLRequest=" + urllib.parse.quote(base64.b64encode(raw).decode(), safe="")


INPUT = re.compile(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"')


def form_fields(page: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in INPUT.findall(page)}


def sso_url(server: Signet) -> str:
    return f"{server.base}/application/saml/load/sso/binding/redirect/?{authn_request_query()}"


def sign_in(server: Signet, username: str) -> requests.Session:
    """One SP-initiated sign-in through the login page; returns the browser."""
    browser = requests.Session()
    page = browser.get(sso_url(server), timeout=60)
    page.raise_for_status()
    fields = form_fields(page.text)
    assert "flow" in fields, page.text[:500]
    fields.update(username=username, password=PASSWORD)
    answer = browser.post(f"{server.base}/login/", data=fields, timeout=120)
    answer.raise_for_status()
    response = base64.b64decode(form_fields(answer.text)["SAMLResponse"]).decode()
    assert f">{username}@load.example.test</saml:NameID>" in response
    return browser


def still_signed_in(server: Signet, browser: requests.Session, username: str) -> bool:
    page = browser.get(sso_url(server), timeout=60)
    if page.status_code != 200 or 'name="password"' in page.text:
        return False
    response = base64.b64decode(form_fields(page.text)["SAMLResponse"]).decode()
    return f">{username}@load.example.test</saml:NameID>" in response


def rsa2048_signs_per_second() -> float | None:
    try:
        out = subprocess.run(
            ["openssl", "speed", "-seconds", "2", "rsa2048"],
            capture_output=True, text=True, timeout=60,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"rsa\s+2048 bits\s+\S+\s+\S+\s+([\d.]+)", out)
    return float(match.group(1)) if match else None


@pytest.fixture()
def server(tmp_path: Path):
    if not binary().exists():
        pytest.fail(f"signet binary not found at {binary()}: build it first")
    s = Signet(tmp_path)
    s.cli("app", "create", "load", "--name", "Load", "--acs-url", ACS, "--audience", AUDIENCE)

    def add(i: int) -> None:
        s.cli("user", "add", f"user{i:03}", "--email", f"user{i:03}@load.example.test",
              "--given-name", "Load", "--family-name", f"User {i}", stdin=PASSWORD + "\n")

    with futures.ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(add, range(USERS)))
    s.start()
    yield s
    s.stop()


def test_200_concurrent_sign_ins_of_distinct_users_complete_with_no_error_or_lost_session(server):
    started = time.monotonic()
    with futures.ThreadPoolExecutor(max_workers=USERS) as pool:
        jobs = {pool.submit(sign_in, server, f"user{i:03}"): i for i in range(USERS)}
        done, pending = futures.wait(jobs, timeout=DEADLINE_S)
    elapsed = time.monotonic() - started
    assert not pending, f"{len(pending)} sign-ins did not finish within {DEADLINE_S} s"
    errors = [job.exception() for job in done if job.exception() is not None]
    assert not errors, f"{len(errors)} sign-ins failed, first: {errors[0]!r}"
    browsers = {jobs[job]: job.result() for job in done}

    lost = [i for i, b in browsers.items() if not still_signed_in(server, b, f"user{i:03}")]
    assert not lost, f"sessions lost: {lost[:10]}"

    rate = USERS / elapsed
    floor = rsa2048_signs_per_second()
    ratio = f", {floor / rate:.0f}x the time of one RSA-2048 signature ({floor:.0f}/s)" if floor else ""
    print(f"\n{USERS} concurrent sign-ins (Argon2id login + signed Response each) in "
          f"{elapsed:.1f} s: {rate:.1f}/s{ratio}")


def test_kill_9_mid_load_then_restart_keeps_database_keys_users_and_sessions(server):
    key_file = next((server.data / "keys").glob("*.key.pem"))
    key_before = key_file.read_bytes()
    cert_before = server.cli("cert", "export", "load")

    # Sessions issued before the kill.
    early = {i: sign_in(server, f"user{i:03}") for i in range(5)}

    # A load in flight when the process is killed.
    pool = futures.ThreadPoolExecutor(max_workers=50)
    jobs = [pool.submit(sign_in, server, f"user{i:03}") for i in range(5, USERS)]
    deadline = time.monotonic() + 60
    while sum(j.done() for j in jobs) < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill9()
    pool.shutdown(wait=True, cancel_futures=True)
    completed = {5 + n: j.result() for n, j in enumerate(jobs)
                 if j.done() and not j.cancelled() and j.exception() is None}
    assert completed, "no sign-in completed before the kill; the test proves nothing"

    with sqlite3.connect(server.data / "signet.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT COUNT(*) FROM users").fetchone()[0] == USERS
    assert key_file.read_bytes() == key_before
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"

    server.start()
    assert server.cli("cert", "export", "load") == cert_before
    for i, browser in {**early, **completed}.items():
        assert still_signed_in(server, browser, f"user{i:03}"), f"user{i:03} lost their session"
    # And the service takes new sign-ins.
    sign_in(server, f"user{USERS - 1:03}")
    print(f"\nkilled with {len(completed)} of {len(jobs)} in-flight sign-ins done; "
          f"{len(early) + len(completed)} sessions checked after restart")
