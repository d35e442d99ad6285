"""Independent judges on signet's checking of signed SP requests.

pysaml2's `Saml2Client` plays a service provider whose certificate signet was given with
`app update --sp-cert`, so signet must insist on signed AuthnRequests and LogoutRequests.
pysaml2 signs: the HTTP-Redirect query with its own RSA code, HTTP-POST messages with an
enveloped signature made by the `xmlsec1` binary. signet verifies with its own code; pysaml2
then judges what signet answers (the Response, the signed LogoutResponse).

Every test creates its own applications through the CLI (`signed-<n>`, each with its own SP
host names), so no test changes `chatgpt` or depends on another's settings or order.
"""

from __future__ import annotations

import base64
import itertools
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from lxml import etree
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.sigver import verify_redirect_signature
from saml2.xmldsig import (
    DIGEST_SHA1,
    DIGEST_SHA256,
    DIGEST_SHA512,
    SIG_RSA_SHA1,
    SIG_RSA_SHA256,
    SIG_RSA_SHA512,
)

from conftest import EMAIL, IDP_ENTITY_ID, Signet
from test_slo_judges import STATUS_SUCCESS, SloApp, _openssl_key_pair, redirected_to
from test_sso_judges import (
    NAMEID_EMAIL,
    NS,
    RELAY_STATE,
    auto_post_from,
    describe,
    forms_in,
    is_login_page,
    pem_body,
    submit_login,
)

BINDINGS = {"redirect": BINDING_HTTP_REDIRECT, "post": BINDING_HTTP_POST}
ALGORITHMS = {
    "rsa-sha256": (SIG_RSA_SHA256, DIGEST_SHA256),
    "rsa-sha512": (SIG_RSA_SHA512, DIGEST_SHA512),
    "rsa-sha1": (SIG_RSA_SHA1, DIGEST_SHA1),
}

_app_numbers = itertools.count(1)


# --- the SP's key and applications made for one test ------------------------------------


@dataclass
class Pysaml2Key:
    key_file: Path
    cert_file: Path


@pytest.fixture(scope="session")
def pysaml2_key(tmp_path_factory: pytest.TempPathFactory) -> Pysaml2Key:
    """A fresh RSA-2048 key and self-signed certificate (`openssl req -x509`) for pysaml2."""
    folder = tmp_path_factory.mktemp("pysaml2-key")
    pair = _openssl_key_pair(folder, "pysaml2-sp")
    key_file = folder / "pysaml2-sp.key"
    assert key_file.read_text() == pair.key_pem
    return Pysaml2Key(key_file=key_file, cert_file=pair.cert_file)


@pytest.fixture
def make_app(signet: Signet, pysaml2_key: Pysaml2Key):
    """Applications whose SP certificate is pysaml2's (so requests must be signed)."""
    made: list[str] = []

    def make(*, sls: bool = False) -> SloApp:
        number = next(_app_numbers)
        slug = f"signed-{number}"
        app = SloApp(signet=signet, slug=slug, host=f"sp-signed{number}.example.test",
                     cert_pem="")
        signet.cli("app", "create", slug, "--name", f"Signed-request judge {number}",
                   "--acs-url", app.acs_url, "--audience", app.audience)
        made.append(slug)
        app.update("--sp-cert", str(pysaml2_key.cert_file))
        if sls:
            app.update("--sls-url", app.sls_url)
        app.cert_pem = signet.cli("cert", "export", slug).stdout
        assert "-----BEGIN CERTIFICATE-----" in app.cert_pem
        return app

    yield make
    for slug in made:
        signet.cli("app", "remove", slug)


# --- pysaml2 as the service provider ----------------------------------------------------


def pysaml2_sp(app: SloApp, key: Pysaml2Key, xmlsec1: str) -> Saml2Client:
    """pysaml2 as `app`'s SP: signs its requests, wants the assertion signed; signet's
    metadata (as served for this application) tells it the endpoints and the IdP's key."""
    metadata = requests.get(app.metadata_url, timeout=10)
    assert metadata.status_code == 200, describe(metadata)
    config = SPConfig()
    config.load({
        "entityid": app.audience,
        "xmlsec_binary": xmlsec1,
        "key_file": str(key.key_file),
        "cert_file": str(key.cert_file),
        "metadata": {"inline": [metadata.text]},
        "allow_unknown_attributes": True,
        "accepted_time_diff": 5,
        "service": {
            "sp": {
                "endpoints": {
                    "assertion_consumer_service": [(app.acs_url, BINDING_HTTP_POST)],
                    "single_logout_service": [(app.sls_url, BINDING_HTTP_REDIRECT)],
                },
                "allow_unsolicited": False,
                "authn_requests_signed": True,
                "logout_requests_signed": True,
                "want_assertions_signed": True,
                "want_response_signed": False,
                "signing_algorithm": SIG_RSA_SHA256,
                "digest_algorithm": DIGEST_SHA256,
                "name_id_format": NAMEID_EMAIL,
            },
        },
    })
    return Saml2Client(config=config)


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


@dataclass
class Sent:
    """One message pysaml2 made for the browser to carry: a URL, or a form to post."""

    request_id: str
    binding: str
    url: str
    form: dict[str, str]
    xml: bytes

    def deliver(self, browser: requests.Session, **options) -> requests.Response:
        if self.binding == BINDING_HTTP_REDIRECT:
            return browser.get(self.url, timeout=10, **options)
        return browser.post(self.url, data=self.form, timeout=10, **options)

    def with_xml(self, xml: bytes) -> Sent:
        """The same POST form carrying other XML (base64, not deflated: Bindings 3.5.4)."""
        assert self.binding == BINDING_HTTP_POST
        form = dict(self.form, SAMLRequest=base64.b64encode(xml).decode())
        return Sent(self.request_id, self.binding, self.url, form, xml)


def as_sent(binding: str, http_info: dict) -> Sent:
    """pysaml2's `http_info` (a Location header, or an auto-post HTML form) as a Sent."""
    if binding == BINDING_HTTP_REDIRECT:
        url, form = dict(http_info["headers"])["Location"], {}
        deflated = base64.b64decode(query_of(url)["SAMLRequest"])
        xml = zlib.decompress(deflated, -15)
    else:
        forms = forms_in(http_info["data"])
        assert len(forms) == 1, f"pysaml2 made no single form:\n{http_info['data']}"
        url, form = forms[0]["attrs"]["action"], dict(forms[0]["inputs"])
        xml = base64.b64decode(form["SAMLRequest"])
    return Sent(etree.fromstring(xml).get("ID"), binding, url, form, xml)


def authn_request(
    client: Saml2Client, *, binding: str, sign: bool = True, algorithms: str = "rsa-sha256"
) -> Sent:
    sigalg, digest_alg = ALGORITHMS[algorithms]
    request_id, info = client.prepare_for_authenticate(
        entityid=IDP_ENTITY_ID, relay_state=RELAY_STATE, binding=binding, sign=sign,
        sigalg=sigalg, digest_alg=digest_alg,
    )
    sent = as_sent(binding, info)
    assert sent.request_id == request_id, sent.xml
    return sent


def enveloped_algorithms(xml: bytes) -> tuple[str, str] | None:
    """(SignatureMethod, DigestMethod) of the root's own ds:Signature, if it has one."""
    signature = etree.fromstring(xml).find("ds:Signature", NS)
    if signature is None:
        return None
    return (
        signature.find("ds:SignedInfo/ds:SignatureMethod", NS).get("Algorithm"),
        signature.find("ds:SignedInfo/ds:Reference/ds:DigestMethod", NS).get("Algorithm"),
    )


@dataclass
class Accepted:
    """A Response pysaml2 accepted for one AuthnRequest."""

    name_id: object  # saml2.saml.NameID
    session_index: str
    saw_login_page: bool


def sign_in_with(browser: requests.Session, client: Saml2Client, app: SloApp,
                 sent: Sent) -> Accepted:
    """Carry `sent` to signet, log in if asked; pysaml2 must accept the Response.

    Redirects stay on signet, so `requests` follows them: a POST-binding request is parked
    and continued by a same-site GET (`sso/continue/`).
    """
    first = sent.deliver(browser)
    saw_login_page = is_login_page(first)
    answer = submit_login(browser, first) if saw_login_page else first
    post = auto_post_from(answer)
    assert post.action == app.acs_url, describe(answer)
    assert post.relay_state == RELAY_STATE, post.relay_state
    parsed = client.parse_authn_request_response(
        post.saml_response_b64, BINDING_HTTP_POST,
        outstanding={sent.request_id: RELAY_STATE},
    )
    assert parsed is not None, f"pysaml2 returned no response\n{post.xml!r}"
    assert parsed.in_response_to == sent.request_id, post.xml
    assert parsed.name_id.text == EMAIL, post.xml
    session_index = parsed.session_info().get("session_index")
    assert session_index, f"no SessionIndex in the assertion\n{post.xml!r}"
    return Accepted(parsed.name_id, session_index, saw_login_page)


def assert_refused(answer: requests.Response, what: str) -> None:
    """A 400 page with no SAMLResponse in it: nothing goes to the SP."""
    assert answer.status_code == 400, f"{what}: " + describe(answer)
    assert "SAMLResponse" not in answer.text, f"{what}: " + describe(answer)


def spoil_issue_instant(xml: bytes) -> bytes:
    """One byte of the signed XML changed: IssueInstant's seconds digit moved by one.

    Still well-formed and still within the clock skew, so nothing but the signature's digest
    can tell; the ACS URL or Issuer would also fail their own checks.
    """
    found = re.search(rb'IssueInstant="[^"]*?(\d)(?:\.\d+)?Z"', xml)
    assert found, xml
    digit = found.start(1)
    spoiled = xml[:digit] + str(int(xml[digit:digit + 1]) ^ 1).encode() + xml[digit + 1:]
    assert len(spoiled) == len(xml) and spoiled != xml
    etree.fromstring(spoiled)  # still well-formed
    return spoiled


# --- 1. signed AuthnRequests are accepted -----------------------------------------------


@pytest.mark.parametrize("algorithms", ["rsa-sha256", "rsa-sha512"])
@pytest.mark.parametrize("binding", ["redirect", "post"])
def test_pysaml2_signed_authn_request_is_accepted(
    make_app, pysaml2_key: Pysaml2Key, xmlsec1: str, binding: str, algorithms: str
) -> None:
    """pysaml2's signed AuthnRequest (query signature by redirect, enveloped by POST) gets a
    Response that pysaml2 accepts as the answer to that request, naming alice."""
    app = make_app()
    client = pysaml2_sp(app, pysaml2_key, xmlsec1)
    sent = authn_request(client, binding=BINDINGS[binding], algorithms=algorithms)
    sigalg, digest_alg = ALGORITHMS[algorithms]

    # What pysaml2 sent is signed the way this case says, and names signet's endpoint.
    document = etree.fromstring(sent.xml)
    assert document.get("AssertionConsumerServiceURL") == app.acs_url, sent.xml
    if binding == "redirect":
        assert sent.url.startswith(app.sso_redirect_url + "?"), sent.url
        assert document.get("Destination") == app.sso_redirect_url, sent.xml
        query = query_of(sent.url)
        assert query.get("SigAlg") == sigalg and query.get("Signature"), sent.url
        assert enveloped_algorithms(sent.xml) is None, "redirect: the query is signed, not the XML"
    else:
        assert sent.url == app.url("sso/binding/post/"), sent.url
        assert document.get("Destination") == sent.url, sent.xml
        assert enveloped_algorithms(sent.xml) == (sigalg, digest_alg), sent.xml

    with requests.Session() as browser:
        accepted = sign_in_with(browser, client, app, sent)
    assert accepted.saw_login_page
    assert accepted.name_id.format == NAMEID_EMAIL


# --- 2. tampered, unsigned and SHA-1 requests are refused -------------------------------


def test_tampered_unsigned_or_sha1_authn_request_is_refused(
    make_app, pysaml2_key: Pysaml2Key, xmlsec1: str
) -> None:
    """With a session that would otherwise auto-post at once: a POST request with one signed
    byte changed, an unsigned one (both bindings) and RSA-SHA1 ones get a 400 and no Response;
    the intact signed request then still goes through (so the refusals were about them)."""
    app = make_app()
    client = pysaml2_sp(app, pysaml2_key, xmlsec1)
    with requests.Session() as browser:
        sign_in_with(browser, client, app, authn_request(client, binding=BINDING_HTTP_POST))

        # One byte of the enveloped-signed XML changed after signing.
        signed = authn_request(client, binding=BINDING_HTTP_POST)
        tampered = signed.with_xml(spoil_issue_instant(signed.xml))
        answer = tampered.deliver(browser)
        assert_refused(answer, "POST AuthnRequest changed after signing")
        assert "signature was not accepted" in answer.text, describe(answer)

        # Unsigned, by either binding, from an SP that has a certificate.
        for binding in (BINDING_HTTP_POST, BINDING_HTTP_REDIRECT):
            unsigned = authn_request(client, binding=binding, sign=False)
            assert enveloped_algorithms(unsigned.xml) is None
            assert "Signature" not in query_of(unsigned.url)
            answer = unsigned.deliver(browser)
            assert_refused(answer, f"unsigned AuthnRequest by {binding}")
            assert "requires signed requests" in answer.text, describe(answer)

        # RSA-SHA1 (insecure_allow_sha1 is off): enveloped rsa-sha1/sha1, and SigAlg rsa-sha1.
        sha1_post = authn_request(client, binding=BINDING_HTTP_POST, algorithms="rsa-sha1")
        assert enveloped_algorithms(sha1_post.xml) == (SIG_RSA_SHA1, DIGEST_SHA1)
        sha1_redirect = authn_request(client, binding=BINDING_HTTP_REDIRECT, algorithms="rsa-sha1")
        assert query_of(sha1_redirect.url)["SigAlg"] == SIG_RSA_SHA1
        for sent in (sha1_post, sha1_redirect):
            answer = sent.deliver(browser)
            assert_refused(answer, f"RSA-SHA1 AuthnRequest by {sent.binding}")
            assert "SHA-1" in answer.text, describe(answer)

        # The session is intact and the untouched signed request is still good.
        accepted = sign_in_with(browser, client, app, signed)
        assert not accepted.saw_login_page


# --- 3. a signed LogoutRequest by POST ends the session ---------------------------------


def test_pysaml2_signed_post_logout_request_ends_session_and_logout_response_verifies(
    make_app, pysaml2_key: Pysaml2Key, xmlsec1: str
) -> None:
    """pysaml2's `do_logout` by HTTP-POST (enveloped signature, NameID + SessionIndex of the
    session it got) ends signet's session; the LogoutResponse comes to the SLS URL signed over
    the redirect query, `verify_redirect_signature` accepts it with signet's certificate (and
    not once RelayState changes), and pysaml2 parses it as Success for that request.

    `verify_redirect_signature` re-encodes the query's values with `urlencode` in the order
    SAMLResponse, RelayState, SigAlg, so its verdict also says signet signed exactly that.
    """
    app = make_app(sls=True)
    client = pysaml2_sp(app, pysaml2_key, xmlsec1)
    with requests.Session() as browser:
        first = authn_request(client, binding=BINDING_HTTP_POST)
        accepted = sign_in_with(browser, client, app, first)
        assert accepted.saw_login_page
        again = authn_request(client, binding=BINDING_HTTP_REDIRECT).deliver(browser)
        assert not is_login_page(again), "signed in, the next request skips the login page"
        auto_post_from(again)

        out = client.do_logout(
            accepted.name_id, [IDP_ENTITY_ID], reason="", expire=None, sign=True,
            expected_binding=BINDING_HTTP_POST, sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
        )
        binding, http_info = out[IDP_ENTITY_ID]
        assert binding == BINDING_HTTP_POST
        sent = as_sent(binding, http_info)
        assert sent.request_id in client.state, "pysaml2 keeps the request it is waiting on"
        document = etree.fromstring(sent.xml)
        assert document.tag == f"{{{NS['samlp']}}}LogoutRequest", sent.xml
        assert sent.url == app.slo_post_url, sent.url
        assert document.get("Destination") == app.slo_post_url, sent.xml
        assert document.findtext("saml:NameID", namespaces=NS) == EMAIL, sent.xml
        assert document.findtext("samlp:SessionIndex", namespaces=NS) == (
            accepted.session_index
        ), sent.xml
        assert enveloped_algorithms(sent.xml) == (SIG_RSA_SHA256, DIGEST_SHA256), sent.xml

        # POST is parked (303 to slo/continue/), then answered at the registered SLS URL.
        answer = sent.deliver(browser, allow_redirects=False)
        assert answer.status_code == 303, describe(answer)
        answer = browser.get(
            urljoin(app.slo_post_url, answer.headers["Location"]), allow_redirects=False,
            timeout=10,
        )
        location = redirected_to(answer, app.sls_url)
        query = query_of(location)
        assert sorted(query) == ["RelayState", "SAMLResponse", "SigAlg", "Signature"], location
        assert query["RelayState"] == sent.form["RelayState"]

        idp_cert = pem_body(app.cert_pem)
        assert verify_redirect_signature(query, client.sec.sec_backend, cert=idp_cert), (
            f"pysaml2 rejected the LogoutResponse's query signature: {location}"
        )
        spoiled = dict(query, RelayState=query["RelayState"] + "!")
        assert not verify_redirect_signature(spoiled, client.sec.sec_backend, cert=idp_cert), (
            "pysaml2 accepted the signature with RelayState changed"
        )

        parsed = client.parse_logout_request_response(query["SAMLResponse"], BINDING_HTTP_REDIRECT)
        assert parsed is not None, "pysaml2 returned no LogoutResponse"
        assert parsed.response.status.status_code.value == STATUS_SUCCESS, parsed.xmlstr
        assert parsed.in_response_to == sent.request_id, parsed.xmlstr
        assert parsed.issuer() == IDP_ENTITY_ID, parsed.xmlstr
        assert parsed.response.destination == app.sls_url, parsed.xmlstr
        done = client.handle_logout_response(parsed)
        assert done[1] == "200 Ok", f"pysaml2 did not finish its logout: {done}"

        # signet's session has ended: the next AuthnRequest gets the login page again.
        after = authn_request(client, binding=BINDING_HTTP_REDIRECT).deliver(browser)
        assert is_login_page(after), describe(after)
