"""@node-saml/node-saml 5.1.0 as a service provider of signet: one more judge nobody here wrote.

node-saml is the SAML core of passport-saml, which many Node.js SPs use. It runs with its
strict settings: signed redirect AuthnRequests and LogoutRequests (RSA-SHA256), the Response
*and* the assertion must be signed, InResponseTo must answer a request it sent (its own
cache), Audience and IdP Issuer checked. `node/sp.js` holds one SAML instance per test and
is driven over stdin/stdout, so the request IDs it remembers are the ones it checks.

`scripts/test` installs the pinned package with `npm ci` in `tests/judges/node/`.
"""

from __future__ import annotations

import base64
import json
import selectors
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from conftest import EMAIL, FAMILY_NAME, GIVEN_NAME, IDP_ENTITY_ID, Signet
from test_slo_judges import SpKey, _openssl_key_pair
from test_sso_judges import auto_post_from, describe, is_login_page, submit_login

NODE_DIR = Path(__file__).resolve().parent / "node"
SLUG = "node-sp"
SP_HOST = "https://node-sp.example.test"
ACS_URL = f"{SP_HOST}/login/callback?client=signet"
AUDIENCE = f"{SP_HOST}/metadata"
SLS_URL = f"{SP_HOST}/logout/callback"
NAMEID_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
REPLY_TIMEOUT_S = 20


class NodeSp:
    """`node sp.js`: one node-saml SAML instance, spoken to a JSON line at a time."""

    def __init__(self, options: dict) -> None:
        node = shutil.which("node")
        if node is None or not (NODE_DIR / "node_modules" / "@node-saml" / "node-saml").is_dir():
            pytest.fail("node and tests/judges/node/node_modules are needed: "
                        "`npm ci` in tests/judges/node (scripts/test does it)")
        self.process = subprocess.Popen(
            [node, str(NODE_DIR / "sp.js")], cwd=NODE_DIR, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        self.send({"options": options})

    def send(self, message: dict) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def reply(self) -> dict:
        assert self.process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            if not selector.select(timeout=REPLY_TIMEOUT_S):
                self.close()
                pytest.fail(f"node-saml said nothing within {REPLY_TIMEOUT_S} s")
        line = self.process.stdout.readline()
        if not line:
            self.close()
            assert self.process.stderr is not None
            pytest.fail(f"node-saml exited: {self.process.stderr.read()}")
        return json.loads(line)

    def ask(self, message: dict) -> dict:
        self.send(message)
        return self.reply()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def node_sp_key(tmp_path_factory: pytest.TempPathFactory) -> SpKey:
    return _openssl_key_pair(tmp_path_factory.mktemp("node-sp-key"), "node-saml-sp")


@pytest.fixture(scope="module")
def node_app(signet: Signet, node_sp_key: SpKey):
    """An application set up as a passport-saml SP wants it: signed requests, signed Response."""
    signet.cli("app", "create", SLUG, "--name", "node-saml SP", "--acs-url", ACS_URL,
               "--audience", AUDIENCE, "--sls-url", SLS_URL)
    signet.cli("app", "update", SLUG, "--sp-cert", str(node_sp_key.cert_file),
               "--sign-response", "true")
    cert_pem = signet.cli("cert", "export", SLUG).stdout
    yield cert_pem
    signet.cli("app", "remove", SLUG)


def node_options(signet: Signet, idp_cert: str, key: SpKey) -> dict:
    base = f"{signet.base_url}/application/saml/{SLUG}"
    return {
        "entryPoint": f"{base}/sso/binding/redirect/",
        "logoutUrl": f"{base}/slo/binding/redirect/",
        "callbackUrl": ACS_URL,
        "logoutCallbackUrl": SLS_URL,
        "issuer": AUDIENCE,
        "audience": AUDIENCE,
        "idpIssuer": IDP_ENTITY_ID,
        "idpCert": idp_cert,
        "privateKey": key.key_pem,
        "publicCert": key.cert_pem,
        "signatureAlgorithm": "sha256",
        "digestAlgorithm": "http://www.w3.org/2001/04/xmlenc#sha256",
        "identifierFormat": NAMEID_EMAIL,
        "wantAssertionsSigned": True,
        "wantAuthnResponseSigned": True,
        "acceptedClockSkewMs": 60_000,
    }


def sign_in_through_signet(browser: requests.Session, url: str) -> dict:
    answer = browser.get(url, timeout=10)
    if is_login_page(answer):
        answer = submit_login(browser, answer)
    post = auto_post_from(answer)
    assert post.action == ACS_URL, describe(answer)
    message = {"SAMLResponse": post.saml_response_b64}
    if post.relay_state is not None:
        message["RelayState"] = post.relay_state
    return message


def test_node_saml_accepts_sign_in_and_validates_signed_logout_response(
    signet: Signet, node_app: str, node_sp_key: SpKey
) -> None:
    sp = NodeSp(node_options(signet, node_app, node_sp_key))
    try:
        browser = requests.Session()
        authorize = sp.reply()["url"]
        assert "Signature=" in authorize and "SigAlg=" in authorize

        verdict = sp.ask(sign_in_through_signet(browser, authorize))
        assert verdict["ok"], verdict
        profile = verdict["profile"]
        assert profile["nameID"] == EMAIL
        assert profile["nameIDFormat"] == NAMEID_EMAIL
        assert profile["issuer"] == IDP_ENTITY_ID
        assert profile["email"] == EMAIL
        assert profile["firstName"] == GIVEN_NAME
        assert profile["lastName"] == FAMILY_NAME
        assert profile["sessionIndex"]

        logout_url = sp.ask({"logout": True, "RelayState": "/after-logout"})["url"]
        answer = browser.get(logout_url, timeout=10, allow_redirects=False)
        assert answer.status_code in (302, 303), describe(answer)
        location = answer.headers["Location"]
        assert location.startswith(SLS_URL + "?"), location
        verdict = sp.ask({"query": urlsplit(location).query})
        assert verdict == {"ok": True, "loggedOut": True}, verdict
    finally:
        sp.close()

    # The signet session ended with the SAML one: the next request meets the login page.
    sp = NodeSp(node_options(signet, node_app, node_sp_key))
    try:
        again = browser.get(sp.reply()["url"], timeout=10)
        assert is_login_page(again), describe(again)
    finally:
        sp.close()


def test_node_saml_rejects_a_response_whose_email_was_changed_after_signing(
    signet: Signet, node_app: str, node_sp_key: SpKey
) -> None:
    sp = NodeSp(node_options(signet, node_app, node_sp_key))
    try:
        message = sign_in_through_signet(requests.Session(), sp.reply()["url"])
        xml = base64.b64decode(message["SAMLResponse"])
        assert xml.count(EMAIL.encode()) >= 2
        forged = xml.replace(EMAIL.encode(), b"mallory@example.com")
        message["SAMLResponse"] = base64.b64encode(forged).decode()
        verdict = sp.ask(message)
        assert not verdict["ok"], verdict
        assert "signature" in verdict["error"].lower(), verdict
    finally:
        sp.close()
