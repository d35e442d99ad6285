"""Fixtures for the independent-judge tests: a real `signet serve` on loopback.

The session starts one signet process with a fresh data directory, provisions the user and
the application through signet's own command line, and tears the process down at the end.
Nothing here imports signet code: the judges see only what goes over HTTP and the CLI.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]

SLUG = "chatgpt"
ACS_URL = "https://sp.example.test/sso/saml/acs/abc"
AUDIENCE = "https://sp.example.test/saml/metadata"
IDP_ENTITY_ID = "authentik"

USER = "alice"
PASSWORD = "correct horse battery staple 7"
EMAIL = "alice@example.com"
GIVEN_NAME = "Alice"
FAMILY_NAME = "Doe"

CLI_TIMEOUT_S = 60
READY_TIMEOUT_S = 20

_SERVER_LOG_KEY = pytest.StashKey[Path]()


def signet_binary() -> Path:
    """`SIGNET_BIN`, or `target/debug/signet` under the repository root."""
    configured = os.environ.get("SIGNET_BIN")
    if not configured:
        return REPO_ROOT / "target" / "debug" / "signet"
    path = Path(configured)
    return path if path.is_absolute() else REPO_ROOT / path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Signet:
    """A running signet: where it listens and how to drive its command line."""

    binary: Path
    config: Path
    base_url: str
    stderr_log: Path
    cert_pem: str = ""
    process: subprocess.Popen | None = field(default=None, repr=False)

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        """Run `signet --config C <args>`; fail the test with both streams on non-zero exit."""
        command = [str(self.binary), "--config", str(self.config), *args]
        try:
            done = subprocess.run(
                command,
                input=stdin,
                capture_output=True,
                text=True,
                timeout=CLI_TIMEOUT_S,
                cwd=self.config.parent,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"`{' '.join(args)}` did not finish within {CLI_TIMEOUT_S} s")
        if done.returncode != 0:
            pytest.fail(
                f"`signet {' '.join(args)}` exited with {done.returncode}\n"
                f"--- stdout ---\n{done.stdout}\n--- stderr ---\n{done.stderr}"
            )
        return done

    def app_url(self, suffix: str) -> str:
        """`http://127.0.0.1:P/application/saml/chatgpt/<suffix>`."""
        return f"{self.base_url}/application/saml/{SLUG}/{suffix}"

    @property
    def sso_redirect_url(self) -> str:
        return self.app_url("sso/binding/redirect/")

    @property
    def sso_post_url(self) -> str:
        return self.app_url("sso/binding/post/")

    @property
    def sso_init_url(self) -> str:
        return self.app_url("sso/binding/init/")

    @property
    def slo_redirect_url(self) -> str:
        return self.app_url("slo/binding/redirect/")

    @property
    def metadata_url(self) -> str:
        return self.app_url("metadata/")

    def set_sign_response(self, on: bool) -> None:
        """`app update chatgpt --sign-response true|false`; the server picks it up live."""
        self.cli("app", "update", SLUG, "--sign-response", "true" if on else "false")


@pytest.fixture(scope="session", autouse=True)
def libxml2_is_shared() -> None:
    """lxml and xmlsec each bundle libxml2; a mismatch makes signature checks unreliable."""
    import lxml.etree
    import xmlsec

    lxml_runtime = lxml.etree.LIBXML_VERSION
    lxml_compiled = lxml.etree.LIBXML_COMPILED_VERSION
    xmlsec_runtime = xmlsec.get_libxml_version()
    xmlsec_compiled = xmlsec.get_libxml_compiled_version()
    assert lxml_runtime == xmlsec_runtime == lxml_compiled == xmlsec_compiled, (
        "lxml & xmlsec libxml2 library version mismatch: "
        f"lxml runs {lxml_runtime} (built with {lxml_compiled}), "
        f"xmlsec runs {xmlsec_runtime} (built with {xmlsec_compiled}); "
        "install the pins in tests/judges/requirements.txt"
    )


@pytest.fixture(scope="session")
def xmlsec1() -> str:
    """Path of the xmlsec1 command-line tool (apt-get install xmlsec1)."""
    path = shutil.which("xmlsec1")
    if path is None:
        pytest.fail("xmlsec1 is not installed: apt-get update && apt-get install -y xmlsec1")
    return path


@pytest.fixture(scope="session")
def signet(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """Provision alice and the `chatgpt` app through the CLI, then run `signet serve`."""
    binary = signet_binary()
    if not binary.is_file() or not os.access(binary, os.X_OK):
        pytest.fail(
            f"signet binary not found at {binary}: run `cargo build` in {REPO_ROOT} "
            "or point SIGNET_BIN at it"
        )

    work = tmp_path_factory.mktemp("signet")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    config = work / "signet.toml"
    config.write_text(
        f'listen = "127.0.0.1:{port}"\n'
        f'external_url = "{base_url}"\n'
        f'data_dir = "{work / "data"}"\n'
    )
    stderr_log = work / "serve.stderr.log"
    request.config.stash[_SERVER_LOG_KEY] = stderr_log
    server = Signet(binary=binary, config=config, base_url=base_url, stderr_log=stderr_log)

    server.cli(
        "user", "add", USER,
        "--email", EMAIL,
        "--given-name", GIVEN_NAME,
        "--family-name", FAMILY_NAME,
        stdin=PASSWORD + "\n",
    )
    server.cli(
        "app", "create", SLUG,
        "--name", "ChatGPT",
        "--acs-url", ACS_URL,
        "--audience", AUDIENCE,
    )
    exported = server.cli("cert", "export", SLUG).stdout
    assert "-----BEGIN CERTIFICATE-----" in exported, (
        f"`cert export {SLUG}` printed no PEM certificate:\n{exported!r}"
    )
    server.cert_pem = exported

    env = dict(os.environ)
    env.setdefault("RUST_LOG", "debug")
    env.setdefault("NO_COLOR", "1")
    with open(stderr_log, "wb") as log:
        server.process = subprocess.Popen(
            [str(binary), "--config", str(config), "serve"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=work,
            env=env,
        )
    try:
        _wait_until_healthy(server)
        yield server
    finally:
        _stop(server.process)


def _wait_until_healthy(server: Signet) -> None:
    health = f"{server.base_url}/-/health/"
    deadline = time.monotonic() + READY_TIMEOUT_S
    last_problem = "no answer yet"
    while time.monotonic() < deadline:
        exit_code = server.process.poll()
        if exit_code is not None:
            pytest.fail(
                f"`signet serve` exited with {exit_code} before it became healthy\n"
                f"--- output ---\n{_tail(server.stderr_log)}"
            )
        try:
            answer = requests.get(health, timeout=2)
            if answer.status_code == 200:
                return
            last_problem = f"HTTP {answer.status_code}"
        except requests.RequestException as error:
            last_problem = repr(error)
        time.sleep(0.1)
    pytest.fail(
        f"{health} not 200 within {READY_TIMEOUT_S} s (last: {last_problem})\n"
        f"--- output ---\n{_tail(server.stderr_log)}"
    )


def _stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _tail(path: Path, lines: int = 200) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as error:
        return f"(cannot read {path}: {error})"
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)  # tracing's colours
    return "\n".join(text.splitlines()[-lines:])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Attach the server's output to every failing test's report."""
    outcome = yield
    report = outcome.get_result()
    log = item.config.stash.get(_SERVER_LOG_KEY, None)
    if report.failed and log is not None and log.exists():
        report.sections.append(("signet serve output (last 200 lines)", _tail(log)))
