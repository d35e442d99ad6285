"""The ChatGPT guide's click path through signet's admin pages, in a real browser.

Debian's headless Chromium, driven by Selenium through Debian's chromedriver (nothing is
downloaded), against a real `signet serve` on loopback:

1. log in as the admin created with `signet user add --admin`;
2. "Create with provider" with the temporary ACS URL `https://temp.temp`;
3. "Download signing certificate" and check the file;
4. start a tiny SP (python3-saml) that trusts exactly that file;
5. "Reconfigure provider": the SP's ACS URL and Audience, then "Update";
6. sign out with the admin header's button;
7. as a normal user, start at the SP, log in on signet's login page, and land back at the SP,
   whose strict check of the Response says "Signed in as <email>".

Screenshots of every step go to `target/screenshots/` (override with SIGNET_SCREENSHOTS).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tiny_sp import TinySp

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("SIGNET_SCREENSHOTS", REPO_ROOT / "target" / "screenshots"))
CHROMIUM = os.environ.get("SIGNET_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("SIGNET_CHROMEDRIVER", "/usr/bin/chromedriver")

ADMIN, ADMIN_PASSWORD = "admin", "admin password 42"
USER, USER_EMAIL, USER_PASSWORD = "bob", "bob@example.com", "bob's password 42"
KEYPAIR = "signet-self-signed"
WAIT_S = 15


def signet_binary() -> Path:
    configured = os.environ.get("SIGNET_BIN")
    return Path(configured) if configured else REPO_ROOT / "target" / "debug" / "signet"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Signet:
    def __init__(self, work: Path) -> None:
        self.binary = signet_binary()
        if not self.binary.is_file():
            pytest.fail(f"no signet binary at {self.binary}: run `cargo build` first")
        port = free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        self.config = work / "signet.toml"
        self.config.write_text(
            f'listen = "127.0.0.1:{port}"\n'
            f'external_url = "{self.base_url}"\n'
            f'data_dir = "{work / "data"}"\n'
        )
        self.log = work / "serve.log"
        self.process: subprocess.Popen | None = None

    def cli(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [str(self.binary), "--config", str(self.config), *args],
            input=stdin, capture_output=True, text=True, timeout=60,
        )
        assert done.returncode == 0, f"signet {' '.join(args)}: {done.stderr}"
        return done.stdout

    def start(self) -> None:
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [str(self.binary), "--config", str(self.config), "serve"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"signet exited:\n{self.log.read_text()}"
            try:
                if requests.get(f"{self.base_url}/-/health/", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        pytest.fail(f"signet did not become healthy:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture()
def signet(tmp_path: Path):
    server = Signet(tmp_path)
    server.cli("user", "add", ADMIN, "--email", "admin@example.com", "--admin",
               stdin=ADMIN_PASSWORD + "\n")
    server.cli("user", "add", USER, "--email", USER_EMAIL, "--given-name", "Bob",
               "--family-name", "Example", stdin=USER_PASSWORD + "\n")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def downloads(tmp_path: Path) -> Path:
    path = tmp_path / "downloads"
    path.mkdir()
    return path


@pytest.fixture()
def browser(downloads: Path):
    for tool in (CHROMIUM, CHROMEDRIVER):
        if not Path(tool).exists():
            pytest.fail(f"{tool} is missing: apt-get install -y chromium chromium-driver")
    profile = tempfile.mkdtemp(prefix="signet-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={profile}", "--window-size=1280,900",
        "--force-device-scale-factor=1", "--lang=en-US",
    ):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads),
        "download.prompt_for_download": False,
        "safebrowsing.enabled": False,
    })
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def shot(driver, name: str) -> None:
    """A screenshot of the whole page, not only the window."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    width, height = max(int(size["width"]), 1280), min(int(size["height"]), 6000)
    png = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
    })["data"]
    (SCREENSHOTS / name).write_bytes(base64.b64decode(png))


def wait_for(driver, condition, what: str):
    try:
        return WebDriverWait(driver, WAIT_S).until(condition)
    except Exception:
        shot(driver, f"failed-{re.sub(r'[^a-z0-9]+', '-', what.lower())}.png")
        pytest.fail(f"timed out waiting for {what} at {driver.current_url}:\n"
                    f"{driver.find_element(By.TAG_NAME, 'body').text[:2000]}")


def fill(driver, field_id: str, value: str) -> None:
    el = driver.find_element(By.ID, field_id)
    el.clear()
    el.send_keys(value)


def fingerprint(pem: str) -> str:
    body = re.search(r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", pem, re.S)
    assert body, pem
    digest = hashlib.sha256(base64.b64decode("".join(body.group(1).split()))).hexdigest()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2)).upper()


def test_guide_click_path_then_sp_initiated_sign_in(signet: Signet, browser, downloads: Path):
    d = browser
    if SCREENSHOTS.exists():
        for old in SCREENSHOTS.glob("*.png"):
            old.unlink()

    # 1. Without a session /admin/ leads to the login page, and back after it.
    d.get(f"{signet.base_url}/admin/")
    wait_for(d, EC.presence_of_element_located((By.ID, "password")), "the login page")
    assert "/login/?next=" in d.current_url
    fill(d, "username", ADMIN)
    fill(d, "password", ADMIN_PASSWORD)
    shot(d, "01-admin-login.png")
    d.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(d, EC.url_contains("/admin/applications/"), "the applications page")
    assert "No applications yet" in d.page_source
    shot(d, "02-applications.png")

    # 2. Applications > Create with provider: SAML, ACS URL https://temp.temp.
    d.find_element(By.LINK_TEXT, "Create with provider").click()
    wait_for(d, EC.presence_of_element_located((By.ID, "acs-url")), "the create form")
    fill(d, "name", "ChatGPT")
    assert d.find_element(By.ID, "slug").get_attribute("value") == "chatgpt", "slug from name"
    fill(d, "acs-url", "https://temp.temp")
    assert d.find_element(By.ID, "provider").get_attribute("value") == "saml"
    shot(d, "03-create-with-provider.png")
    d.find_element(By.XPATH, "//button[normalize-space()='Submit']").click()
    wait_for(d, EC.url_contains("/admin/applications/chatgpt/"), "the provider page")
    assert d.find_element(By.ID, "entity-id").text == "authentik"
    sign_in_url = d.find_element(By.ID, "sign-in-url").text
    assert sign_in_url == f"{signet.base_url}/application/saml/chatgpt/sso/binding/redirect/"
    assert d.find_element(By.ID, "sign-out-url").text.endswith("/slo/binding/redirect/")
    copy = d.find_element(By.CSS_SELECTOR, "button[data-copy=entity-id]")
    assert copy.is_displayed(), "the copy script ran under the page's CSP"
    shot(d, "04-provider-page.png")

    # 3. Download signing certificate: the file ChatGPT's wizard takes.
    d.find_element(By.LINK_TEXT, "Download signing certificate").click()
    cert_file = downloads / f"{KEYPAIR}_certificate.pem"
    deadline = time.monotonic() + WAIT_S
    while not cert_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert cert_file.exists(), f"no download in {list(downloads.iterdir())}"
    cert_pem = cert_file.read_text()
    assert cert_pem.startswith("-----BEGIN CERTIFICATE-----")
    assert "PRIVATE KEY" not in cert_pem
    assert cert_pem == signet.cli("cert", "export", "chatgpt")
    d.find_element(By.LINK_TEXT, "Certificates").click()
    wait_for(d, EC.presence_of_element_located((By.TAG_NAME, "table")), "the certificates")
    assert fingerprint(cert_pem) in d.page_source, "the listed fingerprint is the file's"
    shot(d, "05-certificates.png")

    # 4. The SP, configured with the downloaded file only.
    sp = TinySp("authentik", sign_in_url, cert_pem).start()
    try:
        # 5. Providers > the provider > Edit: ACS URL and Audience from the SP, Update.
        d.find_element(By.LINK_TEXT, "Providers").click()
        d.find_element(By.LINK_TEXT, "Provider for ChatGPT").click()
        d.find_element(By.LINK_TEXT, "Edit").click()
        wait_for(d, EC.presence_of_element_located((By.ID, "audience")), "the edit form")
        fill(d, "acs-url", sp.acs_url)
        fill(d, "audience", sp.entity_id)
        shot(d, "06-reconfigure-provider.png")
        d.find_element(By.XPATH, "//button[normalize-space()='Update']").click()
        wait_for(d, EC.url_contains("done=updated"), "the updated provider page")
        assert sp.acs_url in d.page_source
        shot(d, "07-provider-updated.png")

        # 6. Sign out with the header's button (a CSRF-checked POST to /logout/).
        d.find_element(By.XPATH, "//button[normalize-space()='Sign out']").click()
        wait_for(d, EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "signed out"),
                 "the signed-out page")
        shot(d, "08-signed-out.png")
        d.get(f"{signet.base_url}/admin/")
        wait_for(d, EC.url_contains("/login/"), "the login page: the session is gone")

        # 7. SP-initiated sign-in as a normal user through signet's login page.
        d.get(sp.base_url + "/")
        wait_for(d, EC.presence_of_element_located((By.LINK_TEXT, "Sign in")), "the SP")
        shot(d, "09-sp-home.png")
        d.find_element(By.LINK_TEXT, "Sign in").click()
        wait_for(d, EC.presence_of_element_located((By.ID, "password")), "signet's login page")
        assert d.current_url.startswith(signet.base_url)
        assert "ChatGPT" in d.page_source, "the login page names the application"
        fill(d, "username", USER)
        fill(d, "password", USER_PASSWORD)
        shot(d, "10-login-for-sp.png")
        d.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        result = wait_for(d, EC.presence_of_element_located((By.ID, "result")), "the SP's ACS")
        assert result.text == f"Signed in as {USER_EMAIL}", d.page_source
        assert sp.signed_in_as == USER_EMAIL
        shot(d, "11-sp-signed-in.png")
    finally:
        sp.stop()
