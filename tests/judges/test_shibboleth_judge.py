"""The Shibboleth Service Provider 3.4 (shibd + Apache mod_shib) in front of signet.

Shibboleth's SP, built on OpenSAML C++, is the one most universities run. Here it is a real
SP on loopback: `shibd` with a generated `shibboleth2.xml` and Apache 2.4 with `mod_shib`
protecting `/secure`, everything in a temporary directory (nothing written to /etc). Its
settings are strict: AuthnRequests and LogoutRequests signed (RSA-SHA256; signet has the
certificate through `--sp-cert`, so it checks them), signed assertions required, Shibboleth's
`blockUnsolicited` policy (InResponseTo must answer a request it sent; replay cache;
Audience; bearer Recipient and time checks), SHA-1 and other weak algorithms excluded,
signet's metadata read from a local file with schema validation. No encryption: signet does
not encrypt assertions, so Shibboleth is told not to ask for it.

`scripts/test` installs Debian 12's `libapache2-mod-shib`, `shibboleth-sp-utils` and `apache2`.
"""

from __future__ import annotations

import base64
import datetime
import html
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import xmlsec
from lxml import etree

from conftest import (
    EMAIL,
    FAMILY_NAME,
    GIVEN_NAME,
    IDP_ENTITY_ID,
    Signet,
    _free_port,
    _stop,
    _tail,
)
from test_slo_judges import _openssl_key_pair
from test_sso_judges import NS, AutoPost, auto_post_from, describe, is_login_page, submit_login

TEMPLATES = Path(__file__).resolve().parent / "shibboleth"
SLUG = "shib-sp"
SP_ENTITY_ID = "https://shib-sp.example.test/shibboleth"
NAMEID_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
START_TIMEOUT_S = 30
APACHE2 = "/usr/sbin/apache2"
SHIBD = "/usr/sbin/shibd"
MOD_SHIB = "/usr/lib/apache2/modules/mod_shib.so"


@dataclass
class Shibboleth:
    """shibd and Apache with mod_shib, running; where they listen and what they logged."""

    work: Path
    base_url: str
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def acs_url(self) -> str:
        return f"{self.base_url}/Shibboleth.sso/SAML2/POST"

    @property
    def sls_url(self) -> str:
        return f"{self.base_url}/Shibboleth.sso/SLO/Redirect"

    @property
    def secure_url(self) -> str:
        return f"{self.base_url}/secure"

    def logs(self) -> str:
        return "\n".join(
            f"--- {name} ---\n{_tail(self.work / 'logs' / name, 40)}"
            for name in ("shibd.out", "shibd.log", "apache.out", "apache-error.log",
                         "apache-access.log", "native.log")
        )

    def explain(self, answer: requests.Response) -> str:
        return f"{describe(answer)}\n{self.logs()}"


def _shib_env(work: Path, logger: str) -> dict[str, str]:
    """Logging, run and cache directories in `work`: Shibboleth's library reads the logging
    configuration once before shibboleth2.xml (default /etc/shibboleth/*.logger, writing to
    /var/log/shibboleth), so it is named here too."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C",
            "SHIBSP_LOGGING": str(work / logger), "SHIBSP_LOGDIR": str(work / "logs"),
            "SHIBSP_RUNDIR": str(work / "run"), "SHIBSP_CACHEDIR": str(work / "run")}


def _wait_for(condition, what: str, shib: Shibboleth) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        for process in shib.processes:
            if process.poll() is not None:
                pytest.fail(f"{process.args[0]} exited with {process.returncode} "
                            f"while waiting for {what}\n{shib.logs()}")
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"{what} not ready within {START_TIMEOUT_S} s\n{shib.logs()}")


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _spawn(shib: Shibboleth, command: list[str], output: str, logger: str) -> None:
    """Start a Shibboleth process in a process group of its own (Apache's parent signals its
    whole group when it stops), its output in logs/<output>."""
    with open(shib.work / "logs" / output, "wb") as out:
        shib.processes.append(subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            cwd=shib.work, start_new_session=True, env=_shib_env(shib.work, logger),
        ))


@pytest.fixture(scope="module")
def shibboleth(signet: Signet):
    """Register `shib-sp` in signet, then run shibd and Apache with mod_shib for it."""
    missing = [path for path in (APACHE2, SHIBD, MOD_SHIB) if not Path(path).is_file()]
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: apt-get install -y libapache2-mod-shib "
                    "shibboleth-sp-utils apache2 (scripts/test does it)")

    # Apache's children run as www-data when started by root: they must reach the CGI
    # script and write mod_shib's log, so the directory is not pytest's private one.
    work = Path(tempfile.mkdtemp(prefix="signet-shibboleth-"))
    work.chmod(0o755)
    for folder in ("logs", "run", "apache-run", "htdocs"):
        (work / folder).mkdir()
    (work / "logs").chmod(0o777)
    apache_port, shibd_port = _free_port(), _free_port()
    shib = Shibboleth(work=work, base_url=f"http://127.0.0.1:{apache_port}")
    app_created = False
    try:
        key = _openssl_key_pair(work, "shib-sp")
        signet.cli("app", "create", SLUG, "--name", "Shibboleth SP", "--acs-url",
                   shib.acs_url, "--audience", SP_ENTITY_ID, "--sls-url", shib.sls_url)
        app_created = True
        signet.cli("app", "update", SLUG, "--sp-cert", str(key.cert_file))
        metadata = requests.get(f"{signet.base_url}/application/saml/{SLUG}/metadata/",
                                timeout=10)
        assert metadata.status_code == 200, describe(metadata)
        (work / "idp-metadata.xml").write_bytes(metadata.content)

        values = dict(work=str(work), shibd_port=str(shibd_port), apache_port=str(apache_port),
                      sp_entity_id=SP_ENTITY_ID, idp_entity_id=IDP_ENTITY_ID,
                      run_as="User www-data\nGroup www-data" if os.geteuid() == 0 else "")
        for name in ("shibboleth2.xml", "attribute-map.xml", "security-policy.xml",
                     "shibd.logger", "native.logger", "apache2.conf"):
            text = Template((TEMPLATES / name).read_text()).substitute(values)
            (work / name).write_text(text)
        shutil.copy(TEMPLATES / "secure.cgi", work / "secure.cgi")
        (work / "secure.cgi").chmod(0o755)

        _spawn(shib, [SHIBD, "-F", "-f", "-c", str(work / "shibboleth2.xml"),
                      "-p", str(work / "shibd.pid")], "shibd.out", "shibd.logger")
        _wait_for(lambda: _port_open(shibd_port), "shibd's listener", shib)
        _spawn(shib, [APACHE2, "-f", str(work / "apache2.conf"), "-DFOREGROUND"],
               "apache.out", "native.logger")

        def status_ok() -> bool:
            try:
                return requests.get(f"{shib.base_url}/Shibboleth.sso/Status",
                                    timeout=2).status_code == 200
            except requests.RequestException:
                return False

        _wait_for(status_ok, "Apache with mod_shib (/Shibboleth.sso/Status)", shib)
        yield shib
    finally:
        for process in reversed(shib.processes):
            _stop(process)
        if app_created:
            signet.cli("app", "remove", SLUG)
        shutil.rmtree(work, ignore_errors=True)


# --- the browser ------------------------------------------------------------------------


def inflate(b64: str) -> bytes:
    return zlib.decompress(base64.b64decode(b64), -15)


@dataclass
class Redirected:
    """Shibboleth's redirect to signet with a (signed) AuthnRequest."""

    url: str
    request: etree._Element


def shibboleth_redirect(browser: requests.Session, shib: Shibboleth) -> Redirected:
    answer = browser.get(shib.secure_url, timeout=10, allow_redirects=False)
    assert answer.status_code == 302, shib.explain(answer)
    return Redirected(answer.headers["Location"],
                      etree.fromstring(inflate(parse_qs(urlsplit(
                          answer.headers["Location"]).query)["SAMLRequest"][0])))


def through_signet(browser: requests.Session, url: str, shib: Shibboleth) -> AutoPost:
    """Follow Shibboleth's redirect at signet (login page if asked): the auto-post form."""
    answer = browser.get(url, timeout=10)
    if is_login_page(answer):
        answer = submit_login(browser, answer)
    post = auto_post_from(answer)
    assert post.action == shib.acs_url, describe(answer)
    return post


def post_to_acs(browser: requests.Session, shib: Shibboleth, saml_response: str,
                relay_state: str | None) -> requests.Response:
    data = {"SAMLResponse": saml_response}
    if relay_state is not None:
        data["RelayState"] = relay_state
    return browser.post(shib.acs_url, data=data, timeout=10, allow_redirects=False)


def session_cookie(browser: requests.Session) -> str | None:
    return next((c.value for c in browser.cookies if c.name.startswith("_shibsession_")), None)


# --- the tests --------------------------------------------------------------------------


def shibboleth_error(answer: requests.Response) -> str:
    """The message of Shibboleth's error page (sessionError.html), unescaped."""
    assert "_shibsession_" not in answer.headers.get("Set-Cookie", ""), answer.headers
    found = re.search(r'<p class="error">(.*?)</p>\s*<p>(.*?)</p>', answer.text, re.S)
    assert found, describe(answer)
    return html.unescape(" ".join(found.groups()))


def request_cookie(browser: requests.Session) -> tuple[str, str]:
    """Shibboleth's `_opensaml_req_<RelayState>` cookie: the request ID it correlates with."""
    found = [(c.name, c.value) for c in browser.cookies if c.name.startswith("_opensaml_req_")]
    assert len(found) == 1, browser.cookies.get_dict()
    return found[0]


def test_shibboleth_accepts_sign_in_and_refuses_replay(
    signet: Signet, shibboleth: Shibboleth
) -> None:
    browser = requests.Session()
    redirect = shibboleth_redirect(browser, shibboleth)

    # Shibboleth's AuthnRequest, signed over the redirect query (signet has the certificate
    # and refuses unsigned requests for this application).
    sso_url = f"{signet.base_url}/application/saml/{SLUG}/sso/binding/redirect/"
    assert redirect.url.startswith(sso_url + "?"), redirect.url
    query = parse_qs(urlsplit(redirect.url).query)
    assert query["SigAlg"] == [RSA_SHA256] and query["Signature"], redirect.url
    request = redirect.request
    assert request.get("AssertionConsumerServiceURL") == shibboleth.acs_url
    assert request.get("Destination") == sso_url
    assert request.findtext("saml:Issuer", namespaces=NS) == SP_ENTITY_ID
    cookie = request_cookie(browser)
    assert cookie[1] == request.get("ID")

    # The browser meets signet's login page, then posts the Response to Shibboleth's ACS.
    answer = browser.get(redirect.url, timeout=10)
    assert is_login_page(answer), describe(answer)
    post = auto_post_from(submit_login(browser, answer))
    assert post.action == shibboleth.acs_url
    assert post.relay_state == query["RelayState"][0]
    assertion = etree.fromstring(post.xml).find("saml:Assertion", NS)
    authn_class = assertion.findtext(
        "saml:AuthnStatement/saml:AuthnContext/saml:AuthnContextClassRef", namespaces=NS)
    assert authn_class and authn_class.startswith("urn:oasis:names:tc:SAML:2.0:ac:classes:")

    accepted = post_to_acs(browser, shibboleth, post.saml_response_b64, post.relay_state)
    assert accepted.status_code == 302, shibboleth.explain(accepted)
    assert accepted.headers["Location"] == shibboleth.secure_url, shibboleth.explain(accepted)
    assert session_cookie(browser), shibboleth.explain(accepted)

    # What the protected application gets from mod_shib (Apache's CGI variables).
    page = browser.get(shibboleth.secure_url, timeout=10, allow_redirects=False)
    assert page.status_code == 200, shibboleth.explain(page)
    seen = dict(line.split("=", 1) for line in page.text.splitlines() if "=" in line)
    assert seen["AUTH_TYPE"] == "shibboleth"
    assert seen["REMOTE_USER"] == EMAIL  # from the emailAddress NameID
    assert seen["nameid_email"] == EMAIL
    assert seen["email"] == EMAIL
    assert seen["firstName"] == GIVEN_NAME
    assert seen["lastName"] == FAMILY_NAME
    assert seen["Shib_Identity_Provider"] == IDP_ENTITY_ID
    assert seen["Shib_AuthnContext_Class"] == authn_class
    assert seen["Shib_Session_Index"] == assertion.find(
        "saml:AuthnStatement", NS).get("SessionIndex")

    # Shibboleth's own view of the session.
    session = browser.get(f"{shibboleth.base_url}/Shibboleth.sso/Session", timeout=10)
    assert session.status_code == 200, shibboleth.explain(session)
    info = session.json()
    assert info["identity_provider"] == IDP_ENTITY_ID
    assert info["protocol"] == "urn:oasis:names:tc:SAML:2.0:protocol"
    assert info["authncontext_class"] == authn_class
    attributes = {a["name"]: a["values"] for a in info["attributes"]}
    assert attributes == {"nameid-email": [EMAIL], "email": [EMAIL],
                          "firstName": [GIVEN_NAME], "lastName": [FAMILY_NAME]}

    # The same Response again: Shibboleth has cleared its correlation cookie, so it refuses...
    again = post_to_acs(browser, shibboleth, post.saml_response_b64, post.relay_state)
    assert "Response correlation failed" in shibboleth_error(again)
    # ...and with the cookie put back, its replay cache refuses the message ID.
    browser.cookies.set(*cookie)
    again = post_to_acs(browser, shibboleth, post.saml_response_b64, post.relay_state)
    assert "Rejecting replayed message ID" in shibboleth_error(again), shibboleth.explain(again)


def signed_in(signet: Signet, shib: Shibboleth) -> tuple[requests.Session, AutoPost]:
    """A browser with a Shibboleth session (and a signet one) for alice, and its Response."""
    browser = requests.Session()
    post = through_signet(browser, shibboleth_redirect(browser, shib).url, shib)
    accepted = post_to_acs(browser, shib, post.saml_response_b64, post.relay_state)
    assert accepted.status_code == 302 and session_cookie(browser), shib.explain(accepted)
    return browser, post


def test_shibboleth_refuses_tampered_unsolicited_and_uncorrelated_responses(
    signet: Signet, shibboleth: Shibboleth
) -> None:
    # alice's email changed after signing: the assertion's signature no longer verifies.
    browser = requests.Session()
    post = through_signet(browser, shibboleth_redirect(browser, shibboleth).url, shibboleth)
    xml = post.xml
    assert xml.count(EMAIL.encode()) >= 2
    forged = base64.b64encode(xml.replace(EMAIL.encode(), b"mallory@example.com")).decode()
    refused = post_to_acs(browser, shibboleth, forged, post.relay_state)
    assert "signature could not be verified" in shibboleth_error(refused)
    assert session_cookie(browser) is None
    # Shibboleth recorded the Response ID before it checked the signature: the untouched
    # Response, sent after the forged one, now counts as a replay.
    late = post_to_acs(browser, shibboleth, post.saml_response_b64, post.relay_state)
    assert "Rejecting replayed message ID" in shibboleth_error(late)
    assert session_cookie(browser) is None

    # IdP-initiated (no InResponseTo): Shibboleth's blockUnsolicited policy refuses it.
    answer = browser.get(f"{signet.base_url}/application/saml/{SLUG}/sso/binding/init/",
                         timeout=10)
    unsolicited = auto_post_from(answer)
    assert unsolicited.action == shibboleth.acs_url
    assert b"InResponseTo" not in unsolicited.xml
    stranger = requests.Session()
    refused = post_to_acs(stranger, shibboleth, unsolicited.saml_response_b64,
                          unsolicited.relay_state)
    assert "Unsolicited response rejected by policy" in shibboleth_error(refused)

    # A Response to another browser's request, posted with this browser's RelayState.
    mine, theirs = requests.Session(), requests.Session()
    my_redirect = shibboleth_redirect(mine, shibboleth)
    their_post = through_signet(theirs, shibboleth_redirect(theirs, shibboleth).url, shibboleth)
    my_relay_state = parse_qs(urlsplit(my_redirect.url).query)["RelayState"][0]
    refused = post_to_acs(mine, shibboleth, their_post.saml_response_b64, my_relay_state)
    assert "Rejecting non-correlated response to request ID" in shibboleth_error(refused)
    assert session_cookie(mine) is None



def test_shibboleth_logout_through_signet(signet: Signet, shibboleth: Shibboleth) -> None:
    browser, post = signed_in(signet, shibboleth)
    session_index = etree.fromstring(post.xml).find(
        "saml:Assertion/saml:AuthnStatement", NS).get("SessionIndex")

    # Shibboleth ends its own session and sends a signed LogoutRequest to signet.
    start = browser.get(f"{shibboleth.base_url}/Shibboleth.sso/Logout", timeout=10,
                        allow_redirects=False)
    assert start.status_code == 302, shibboleth.explain(start)
    assert session_cookie(browser) is None
    slo_url = f"{signet.base_url}/application/saml/{SLUG}/slo/binding/redirect/"
    to_signet = start.headers["Location"]
    assert to_signet.startswith(slo_url + "?"), to_signet
    query = parse_qs(urlsplit(to_signet).query)
    assert query["SigAlg"] == [RSA_SHA256] and query["Signature"], to_signet
    logout_request = etree.fromstring(inflate(query["SAMLRequest"][0]))
    assert logout_request.tag == f"{{{NS['samlp']}}}LogoutRequest"
    assert logout_request.findtext("saml:Issuer", namespaces=NS) == SP_ENTITY_ID
    name_id = logout_request.find("saml:NameID", NS)
    assert name_id.text == EMAIL and name_id.get("Format") == NAMEID_EMAIL
    assert logout_request.findtext("samlp:SessionIndex", namespaces=NS) == session_index

    # signet ends alice's session and answers at Shibboleth's SLO endpoint, signed.
    answer = browser.get(to_signet, timeout=10, allow_redirects=False)
    assert answer.status_code in (302, 303), describe(answer)
    back = answer.headers["Location"]
    assert back.startswith(shibboleth.sls_url + "?"), back
    answer_query = parse_qs(urlsplit(back).query)
    assert answer_query["SigAlg"] == [RSA_SHA256] and answer_query["Signature"], back
    assert answer_query["RelayState"] == query["RelayState"]
    logout_response = etree.fromstring(inflate(answer_query["SAMLResponse"][0]))
    assert logout_response.get("InResponseTo") == logout_request.get("ID")

    # Shibboleth checks that answer (signature over the query, InResponseTo, replay cache).
    done = browser.get(back, timeout=10, allow_redirects=False)
    assert done.status_code == 200, shibboleth.explain(done)
    assert "Logout completed successfully" in done.text, shibboleth.explain(done)

    # Signed out on both sides: /secure sends the browser to signet, which asks again.
    redirect = shibboleth_redirect(browser, shibboleth)
    again = browser.get(redirect.url, timeout=10)
    assert is_login_page(again), describe(again)


def resigned(xml: bytes, key_file: Path, change) -> str:
    """The Response with `change` applied to its text, the assertion signed again with
    signet's own key (python-xmlsec, over the same template), base64 for the form."""
    root = etree.fromstring(change(xml.decode()).encode())
    assertion = root.find("saml:Assertion", NS)
    context = xmlsec.SignatureContext()
    context.register_id(assertion, "ID")
    context.key = xmlsec.Key.from_file(str(key_file), xmlsec.constants.KeyDataFormatPem)
    context.sign(assertion.find("ds:Signature", NS))
    return base64.b64encode(etree.tostring(root)).decode()


def _minutes_ago(xml: str, minutes: int) -> str:
    past = (datetime.datetime.now(datetime.timezone.utc)
            - datetime.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return re.sub(r'NotOnOrAfter="[^"]+"', f'NotOnOrAfter="{past}"', xml)


FORGERIES = {
    # Re-signed with nothing changed: accepted, so each refusal below is about its change.
    "none": (lambda xml: xml, None),
    "audience": (lambda xml: xml.replace(f"<saml:Audience>{SP_ENTITY_ID}<",
                                         "<saml:Audience>https://other-sp.example.test/shibboleth<"),
                 "Assertion contains an unacceptable AudienceRestriction."),
    "recipient": (lambda xml: xml.replace('Recipient="http://127.0.0.1:', 'Recipient="http://127.0.0.2:'),
                  "Unable to locate satisfiable bearer SubjectConfirmation in assertion."),
    "expired": (lambda xml: _minutes_ago(xml, 5), "Assertion is no longer valid."),
}


@pytest.mark.parametrize("forgery", FORGERIES)
def test_shibboleth_checks_audience_recipient_and_time_of_a_validly_signed_assertion(
    signet: Signet, shibboleth: Shibboleth, forgery: str
) -> None:
    """signet's own key re-signs a changed assertion: only Shibboleth's other checks remain."""
    keys = sorted((signet.config.parent / "data" / "keys").glob("*.key.pem"))
    assert len(keys) == 1, keys
    change, refusal = FORGERIES[forgery]
    browser = requests.Session()
    post = through_signet(browser, shibboleth_redirect(browser, shibboleth).url, shibboleth)
    assert (change(post.xml.decode()) == post.xml.decode()) == (refusal is None)
    answer = post_to_acs(browser, shibboleth, resigned(post.xml, keys[0], change),
                         post.relay_state)
    if refusal is None:
        assert answer.status_code == 302 and session_cookie(browser), shibboleth.explain(answer)
    else:
        assert refusal in shibboleth_error(answer), shibboleth.explain(answer)
        assert session_cookie(browser) is None
