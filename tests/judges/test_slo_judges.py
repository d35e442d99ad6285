"""Independent judges on signet's single logout (issue 3).

python3-saml plays the service providers: it builds the LogoutRequests, validates the signed
LogoutResponses that reach the SLS URLs (redirect signatures over the raw query, enveloped
signatures in POST forms), answers the LogoutRequests signet propagates, and checks that the
browser sees the login page again. xmlsec1 verifies the POST-binding signature a second time.

Every test creates its own applications through the CLI (`slo-<n>`, each with its own SP host
names), so no test changes `chatgpt` or depends on another's settings or order.
"""

from __future__ import annotations

import base64
import itertools
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from lxml import etree
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.logout_request import OneLogin_Saml2_Logout_Request
from onelogin.saml2.logout_response import OneLogin_Saml2_Logout_Response
from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from conftest import EMAIL, IDP_ENTITY_ID, Signet
from test_sso_judges import (
    BINDING_POST,
    BINDING_REDIRECT,
    NAMEID_EMAIL,
    NS,
    RELAY_STATE,
    RSA_SHA256,
    SHA256,
    auto_post_from,
    describe,
    forms_in,
    is_login_page,
    pem_body,
    shown,
    submit_login,
    verified,
)

STATUS_SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
STATUS_REQUESTER = "urn:oasis:names:tc:SAML:2.0:status:Requester"
STATUS_RESPONDER = "urn:oasis:names:tc:SAML:2.0:status:Responder"
STATUS_PARTIAL_LOGOUT = "urn:oasis:names:tc:SAML:2.0:status:PartialLogout"
STATUS_UNKNOWN_PRINCIPAL = "urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal"
LOGOUT_RESPONSE_SIGNATURE = "/samlp:LogoutResponse/ds:Signature"

_app_numbers = itertools.count(1)


# --- applications made for one test -----------------------------------------------------


@dataclass
class SloApp:
    """An application created for one test, with its own SP URLs and signing certificate."""

    signet: Signet
    slug: str
    host: str
    cert_pem: str

    @property
    def acs_url(self) -> str:
        return f"https://{self.host}/acs"

    @property
    def audience(self) -> str:
        return f"https://{self.host}/metadata"

    @property
    def sls_url(self) -> str:
        return f"https://{self.host}/sls"

    def url(self, suffix: str) -> str:
        return f"{self.signet.base_url}/application/saml/{self.slug}/{suffix}"

    @property
    def sso_redirect_url(self) -> str:
        return self.url("sso/binding/redirect/")

    @property
    def slo_redirect_url(self) -> str:
        return self.url("slo/binding/redirect/")

    @property
    def slo_post_url(self) -> str:
        return self.url("slo/binding/post/")

    @property
    def metadata_url(self) -> str:
        return self.url("metadata/")

    def update(self, *options: str) -> None:
        """`app update <slug> …` on the running server (it reads it on the next request)."""
        self.signet.cli("app", "update", self.slug, *options)


@pytest.fixture
def make_app(signet: Signet):
    """Creates fresh applications (with an SLS URL unless told otherwise); removes them after."""
    made: list[str] = []

    def make(*, sls: bool = True) -> SloApp:
        number = next(_app_numbers)
        slug = f"slo-{number}"
        host = f"sp-slo{number}.example.test"
        app = SloApp(signet=signet, slug=slug, host=host, cert_pem="")
        options = ["--name", f"SLO judge {number}", "--acs-url", app.acs_url,
                   "--audience", app.audience]
        if sls:
            options += ["--sls-url", app.sls_url]
        signet.cli("app", "create", slug, *options)
        made.append(slug)
        app.cert_pem = signet.cli("cert", "export", slug).stdout
        assert "-----BEGIN CERTIFICATE-----" in app.cert_pem
        return app

    yield make
    for slug in made:
        signet.cli("app", "remove", slug)


@dataclass
class SpKey:
    key_pem: str
    cert_pem: str
    cert_file: Path


def _openssl_key_pair(folder: Path, name: str) -> SpKey:
    """`openssl req -x509`: an RSA-2048 key and a self-signed SHA-256 certificate."""
    key_file, cert_file = folder / f"{name}.key", folder / f"{name}.pem"
    done = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2",
         "-subj", f"/CN={name}", "-keyout", str(key_file), "-out", str(cert_file)],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return SpKey(key_file.read_text(), cert_file.read_text(), cert_file)


@pytest.fixture(scope="session")
def sp_key(tmp_path_factory: pytest.TempPathFactory) -> SpKey:
    """The SP's signing key; signet gets its certificate through `--sp-cert`."""
    return _openssl_key_pair(tmp_path_factory.mktemp("sp-key"), "slo-judge-sp")


@pytest.fixture(scope="session")
def other_sp_key(tmp_path_factory: pytest.TempPathFactory) -> SpKey:
    """A key signet was never given."""
    return _openssl_key_pair(tmp_path_factory.mktemp("other-key"), "not-the-sp")


# --- python3-saml as each service provider ----------------------------------------------


def sp_settings(
    app: SloApp,
    *,
    want_messages_signed: bool = True,
    key: SpKey | None = None,
    sign_requests: bool = False,
    idp_slo_url: str | None = None,
) -> dict:
    """python3-saml, strict, as the SP of `app`; signet (authentik) as its IdP."""
    return {
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": app.audience,
            "assertionConsumerService": {"url": app.acs_url, "binding": BINDING_POST},
            "singleLogoutService": {"url": app.sls_url, "binding": BINDING_REDIRECT},
            "NameIDFormat": NAMEID_EMAIL,
            "x509cert": pem_body(key.cert_pem) if key else "",
            "privateKey": key.key_pem if key else "",
        },
        "idp": {
            "entityId": IDP_ENTITY_ID,
            "singleSignOnService": {"url": app.sso_redirect_url, "binding": BINDING_REDIRECT},
            "singleLogoutService": {
                "url": idp_slo_url or app.slo_redirect_url,
                "binding": BINDING_REDIRECT,
            },
            "x509cert": pem_body(app.cert_pem),
        },
        "security": {
            "authnRequestsSigned": sign_requests,
            "logoutRequestSigned": sign_requests,
            "logoutResponseSigned": key is not None,
            "wantAssertionsSigned": True,
            "wantMessagesSigned": want_messages_signed,
            "signatureAlgorithm": RSA_SHA256,
            "digestAlgorithm": SHA256,
            "requestedAuthnContext": False,
            "wantNameId": True,
            "rejectDeprecatedAlgorithm": True,
        },
    }


def request_data_at(url: str) -> dict:
    """python3-saml's view of an HTTP request arriving at `url` (https, default port).

    `query_string` + `validate_signature_from_qs` make python3-saml check a redirect
    signature over the query bytes exactly as received, not over its own re-encoding.
    """
    parts = urlsplit(url)
    get_data = {name: values[0] for name, values in parse_qs(parts.query).items()}
    return {
        "https": "on" if parts.scheme == "https" else "off",
        "http_host": parts.netloc,
        "script_name": parts.path,
        "get_data": get_data,
        "post_data": {},
        "query_string": parts.query,
        "validate_signature_from_qs": True,
    }


def sp(app: SloApp, at_url: str | None = None, **settings) -> OneLogin_Saml2_Auth:
    return OneLogin_Saml2_Auth(
        request_data_at(at_url or app.acs_url), old_settings=sp_settings(app, **settings)
    )


@dataclass
class SignedIn:
    session_index: str
    saw_login_page: bool


def sign_in_to(browser: requests.Session, app: SloApp, **settings) -> SignedIn:
    """An SP-initiated sign-in at `app`; python3-saml validates the Response."""
    settings.setdefault("want_messages_signed", False)  # signet signs the assertion only
    auth = sp(app, **settings)
    answer = browser.get(auth.login(return_to=RELAY_STATE), timeout=10)
    saw_login_page = is_login_page(answer)
    if saw_login_page:
        answer = submit_login(browser, answer)
    post = auto_post_from(answer)
    assert post.action == app.acs_url
    response = OneLogin_Saml2_Response(auth.get_settings(), post.saml_response_b64)
    assert response.is_valid(
        request_data_at(app.acs_url), request_id=auth.get_last_request_id()
    ), response.get_error()
    assert response.get_nameid() == EMAIL
    session_index = response.get_session_index()
    assert session_index, "the assertion's AuthnStatement carries no SessionIndex"
    return SignedIn(session_index, saw_login_page)


def sso_answer(browser: requests.Session, app: SloApp, **settings) -> requests.Response:
    """What a new AuthnRequest from this browser gets (login page, or auto-post if signed in)."""
    settings.setdefault("want_messages_signed", False)
    return browser.get(sp(app, **settings).login(return_to=RELAY_STATE), timeout=10)


def still_signed_in(browser: requests.Session, app: SloApp, **settings) -> bool:
    answer = sso_answer(browser, app, **settings)
    if is_login_page(answer):
        return False
    auto_post_from(answer)  # anything else must be the auto-post page
    return True


@dataclass
class LogoutSent:
    url: str
    request_id: str


def logout_request_url(app: SloApp, session_index: str, name_id: str = EMAIL,
                       **settings) -> LogoutSent:
    """python3-saml's `logout()`: the redirect-binding LogoutRequest, RelayState included."""
    auth = sp(app, **settings)
    url = auth.logout(
        return_to=RELAY_STATE, name_id=name_id, session_index=session_index,
        name_id_format=NAMEID_EMAIL,
    )
    assert url.startswith(app.slo_redirect_url + "?"), url
    return LogoutSent(url, auth.get_last_request_id())


def redirected_to(answer: requests.Response, where: str) -> str:
    """The Location of a 303 that points at `where?…`."""
    assert answer.status_code == 303, describe(answer)
    location = answer.headers["Location"]
    assert location.startswith(where + "?"), f"redirected to {location}, not {where}"
    return location


def query_names(url: str) -> list[str]:
    return [part.split("=", 1)[0] for part in urlsplit(url).query.split("&")]


def spoil_relay_state(url: str) -> str:
    """`url` with `%21` ("!") appended to the RelayState as sent: one more signed byte."""
    base, query = url.split("?", 1)
    parts = [part + "%21" if part.startswith("RelayState=") else part for part in query.split("&")]
    spoiled = base + "?" + "&".join(parts)
    assert spoiled != url, f"no RelayState in {url}"
    return spoiled


def inflate(b64: str) -> bytes:
    return zlib.decompress(base64.b64decode(b64), -15)


def status_codes(xml: bytes) -> list[str]:
    """The StatusCode values, outermost first."""
    document = etree.fromstring(xml)
    return [code.get("Value") for code in document.iterfind(".//samlp:StatusCode", NS)]


@dataclass
class SlsVerdict:
    """What python3-saml, as the SP at its SLS URL, made of a redirect LogoutResponse."""

    errors: list[str]
    reason: str | None
    xml: bytes
    relay_state: str | None


def judge_logout_response(app: SloApp, location: str, request_id: str) -> SlsVerdict:
    """`process_slo` strict, message signature required, checked over the raw query."""
    auth = sp(app, at_url=location)
    auth.process_slo(keep_local_session=True, request_id=request_id)
    fields = request_data_at(location)["get_data"]
    return SlsVerdict(
        errors=auth.get_errors(),
        reason=auth.get_last_error_reason(),
        xml=inflate(fields["SAMLResponse"]),
        relay_state=fields.get("RelayState"),
    )


def assert_logout_response_answers(xml: bytes, app: SloApp, request_id: str) -> None:
    """What python3-saml only checks when present: InResponseTo, Destination, Issuer."""
    document = etree.fromstring(xml)
    assert document.tag == f"{{{NS['samlp']}}}LogoutResponse", xml
    assert document.get("InResponseTo") == request_id, xml
    assert document.get("Destination") == app.sls_url, xml
    assert document.findtext("saml:Issuer", namespaces=NS) == IDP_ENTITY_ID, xml


# --- 1. the redirect round trip ---------------------------------------------------------


def test_python3_saml_validates_signed_logout_response_and_login_page_returns(
    make_app,
) -> None:
    app = make_app()
    with requests.Session() as browser:
        signed_in = sign_in_to(browser, app)
        assert signed_in.saw_login_page
        sent = logout_request_url(app, signed_in.session_index)

        answer = browser.get(sent.url, allow_redirects=False, timeout=10)
        location = redirected_to(answer, app.sls_url)
        assert query_names(location) == ["SAMLResponse", "RelayState", "SigAlg", "Signature"]

        verdict = judge_logout_response(app, location, sent.request_id)
        assert verdict.errors == [], (
            f"python3-saml: {verdict.errors} {verdict.reason}\n{verdict.xml!r}"
        )
        assert status_codes(verdict.xml) == [STATUS_SUCCESS], verdict.xml
        assert_logout_response_answers(verdict.xml, app, sent.request_id)
        assert verdict.relay_state == RELAY_STATE
        sig_alg = request_data_at(location)["get_data"]["SigAlg"]
        assert sig_alg == RSA_SHA256

        # The judge really checks the query's signature: change one byte of RelayState.
        spoiled = spoil_relay_state(location)
        refused = judge_logout_response(app, spoiled, sent.request_id)
        assert "invalid_logout_response_signature" in refused.errors, refused.errors

        # The session has ended: the next AuthnRequest gets the login page again.
        again = sso_answer(browser, app)
        assert is_login_page(again), describe(again)


def test_without_sls_url_session_ends_and_signed_out_page_is_shown(make_app) -> None:
    app = make_app(sls=False)
    with requests.Session() as browser:
        signed_in = sign_in_to(browser, app)
        sent = logout_request_url(app, signed_in.session_index)
        answer = browser.get(sent.url, allow_redirects=False, timeout=10)
        assert answer.status_code == 200, describe(answer)
        assert "signed out" in answer.text, describe(answer)
        assert "SAMLResponse" not in answer.text, describe(answer)
        assert is_login_page(sso_answer(browser, app))


# --- 2. an SP certificate makes signatures compulsory -----------------------------------


def test_signed_logout_request_is_accepted_unsigned_or_tampered_is_refused(
    make_app, sp_key: SpKey, other_sp_key: SpKey
) -> None:
    app = make_app()
    app.update("--sp-cert", str(sp_key.cert_file))
    signing = {"key": sp_key, "sign_requests": True}
    with requests.Session() as browser:
        signed_in = sign_in_to(browser, app, **signing)

        # Unsigned, from the SP that has a certificate: refused, and nothing ends.
        unsigned = logout_request_url(app, signed_in.session_index)
        assert "Signature=" not in unsigned.url
        answer = browser.get(unsigned.url, allow_redirects=False, timeout=10)
        assert answer.status_code == 400, "unsigned LogoutRequest: " + describe(answer)
        assert "SAMLResponse" not in answer.headers.get("Location", "")
        assert still_signed_in(browser, app, **signing), "an unsigned request ended the session"

        # Signed, then one query byte changed (RelayState): refused, and nothing ends.
        signed = logout_request_url(app, signed_in.session_index, **signing)
        assert sorted(query_names(signed.url)) == [
            "RelayState", "SAMLRequest", "SigAlg", "Signature"
        ]
        tampered = spoil_relay_state(signed.url)
        answer = browser.get(tampered, allow_redirects=False, timeout=10)
        assert answer.status_code == 400, "tampered LogoutRequest: " + describe(answer)
        assert still_signed_in(browser, app, **signing), "a tampered request ended the session"

        # Signed by another key (python3-saml signing with a key signet does not know).
        other = logout_request_url(
            app, signed_in.session_index, key=other_sp_key, sign_requests=True
        )
        answer = browser.get(other.url, allow_redirects=False, timeout=10)
        assert answer.status_code == 400, "LogoutRequest signed by another key: " + describe(answer)
        assert still_signed_in(browser, app, **signing)

        # Signed and intact: accepted, Success, and the session is over.
        answer = browser.get(signed.url, allow_redirects=False, timeout=10)
        location = redirected_to(answer, app.sls_url)
        verdict = judge_logout_response(app, location, signed.request_id)
        assert verdict.errors == [], f"python3-saml: {verdict.errors} {verdict.reason}"
        assert status_codes(verdict.xml) == [STATUS_SUCCESS], verdict.xml
        assert verdict.relay_state == RELAY_STATE
        assert not still_signed_in(browser, app, **signing)


def test_post_logout_request_needs_enveloped_signature_when_sp_has_certificate(
    make_app, sp_key: SpKey
) -> None:
    app = make_app()
    app.update("--sp-cert", str(sp_key.cert_file))
    signing = {"key": sp_key, "sign_requests": True}
    with requests.Session() as browser:
        signed_in = sign_in_to(browser, app, **signing)
        settings = sp(app, idp_slo_url=app.slo_post_url, **signing).get_settings()

        def logout_request() -> OneLogin_Saml2_Logout_Request:
            return OneLogin_Saml2_Logout_Request(
                settings, name_id=EMAIL, session_index=signed_in.session_index,
                name_id_format=NAMEID_EMAIL,
            )

        def post(xml: str) -> requests.Response:
            form = {"SAMLRequest": base64.b64encode(xml.encode()).decode(),
                    "RelayState": RELAY_STATE}
            return browser.post(app.slo_post_url, data=form, allow_redirects=False, timeout=10)

        def signed_xml(request: OneLogin_Saml2_Logout_Request) -> str:
            signed = OneLogin_Saml2_Utils.add_sign(
                request.get_xml(), sp_key.key_pem, sp_key.cert_pem,
                sign_algorithm=RSA_SHA256, digest_algorithm=SHA256,
            )
            return signed.decode() if isinstance(signed, bytes) else signed

        answer = post(logout_request().get_xml())
        assert answer.status_code == 400, "unsigned POST LogoutRequest: " + describe(answer)
        assert still_signed_in(browser, app, **signing)

        tampered = signed_xml(logout_request())
        tampered = tampered.replace(f">{EMAIL}<", f"> {EMAIL}<", 1)
        assert f"> {EMAIL}<" in tampered
        answer = post(tampered)
        assert answer.status_code == 400, "tampered POST LogoutRequest: " + describe(answer)
        assert still_signed_in(browser, app, **signing)

        request = logout_request()
        answer = post(signed_xml(request))
        assert answer.status_code == 303, describe(answer)
        answer = browser.get(
            urljoin(app.slo_post_url, answer.headers["Location"]), allow_redirects=False,
            timeout=10,
        )
        location = redirected_to(answer, app.sls_url)
        verdict = judge_logout_response(app, location, request.id)
        assert verdict.errors == [], f"python3-saml: {verdict.errors} {verdict.reason}"
        assert status_codes(verdict.xml) == [STATUS_SUCCESS], verdict.xml
        assert verdict.relay_state == RELAY_STATE
        assert not still_signed_in(browser, app, **signing)


# --- 3. a request naming another session ends nothing -----------------------------------


@pytest.mark.parametrize(
    "who",
    ["another-session-index", "another-name-id"],
)
def test_logout_request_for_another_session_ends_nothing(make_app, who: str) -> None:
    app = make_app()
    with requests.Session() as browser:
        signed_in = sign_in_to(browser, app)
        if who == "another-session-index":
            sent = logout_request_url(app, "_" + "f" * 40)
        else:
            sent = logout_request_url(app, signed_in.session_index, name_id="mallory@example.com")

        cookies_before = browser.cookies.copy()
        answer = browser.get(sent.url, allow_redirects=False, timeout=10)
        set_cookie = [
            value for name, value in answer.headers.items() if name.lower() == "set-cookie"
        ]
        location = redirected_to(answer, app.sls_url)
        verdict = judge_logout_response(app, location, sent.request_id)
        # Signature and message valid; only the status is not Success.
        assert verdict.errors == ["logout_not_success"], f"{verdict.errors} {verdict.reason}"
        assert status_codes(verdict.xml) == [STATUS_REQUESTER, STATUS_UNKNOWN_PRINCIPAL]
        assert_logout_response_answers(verdict.xml, app, sent.request_id)
        assert verdict.relay_state == RELAY_STATE

        if not still_signed_in(browser, app):
            with requests.Session() as same_cookies:
                same_cookies.cookies.update(cookies_before)
                server_side = still_signed_in(same_cookies, app)
            pytest.fail(
                "the browser was signed out by a LogoutRequest naming another session: the "
                f"refusal carried Set-Cookie: {set_cookie}; the session itself "
                + ("still works with the old cookie" if server_side else "has ended at signet")
            )


# --- 4. POST binding to the SLS ---------------------------------------------------------


def xmlsec1_verify_logout_response(
    xmlsec1: str, xml: bytes, cert_pem: str, tmp_path: Path
) -> subprocess.CompletedProcess:
    document, certificate = tmp_path / "logout-response.xml", tmp_path / "idp.pem"
    document.write_bytes(xml)
    certificate.write_text(cert_pem)
    return subprocess.run(
        [xmlsec1, "--verify", "--pubkey-cert-pem", str(certificate),
         "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:LogoutResponse",
         str(document)],
        capture_output=True, text=True, timeout=30,
    )


def python3_saml_signature_error(xml: bytes, cert_pem: str) -> str | None:
    """None when python3-saml's `validate_sign` accepts the LogoutResponse's own Signature."""
    try:
        ok = OneLogin_Saml2_Utils.validate_sign(
            xml, cert=cert_pem, xpath=LOGOUT_RESPONSE_SIGNATURE, raise_exceptions=True
        )
    except Exception as error:  # python3-saml raises its reason
        return f"{type(error).__name__}: {error}"
    return None if ok else "validate_sign returned False"


def test_post_sls_binding_sends_enveloped_signed_logout_response(
    make_app, xmlsec1: str, tmp_path: Path
) -> None:
    app = make_app()
    app.update("--sls-binding", "post")
    with requests.Session() as browser:
        signed_in = sign_in_to(browser, app)

        # The LogoutRequest goes by HTTP-POST too (base64, not deflated).
        settings = sp(app, idp_slo_url=app.slo_post_url).get_settings()
        request = OneLogin_Saml2_Logout_Request(
            settings, name_id=EMAIL, session_index=signed_in.session_index,
            name_id_format=NAMEID_EMAIL,
        )
        form = {"SAMLRequest": request.get_request(deflate=False), "RelayState": RELAY_STATE}
        answer = browser.post(app.slo_post_url, data=form, allow_redirects=False, timeout=10)
        assert answer.status_code == 303, describe(answer)
        handoff = urljoin(app.slo_post_url, answer.headers["Location"])
        assert urlsplit(handoff).path == f"/application/saml/{app.slug}/slo/continue/", handoff
        answer = browser.get(handoff, allow_redirects=False, timeout=10)

        post = auto_post_from(answer)
        assert post.action == app.sls_url
        assert post.relay_state == RELAY_STATE
        xml = post.xml
        assert status_codes(xml) == [STATUS_SUCCESS], xml
        assert_logout_response_answers(xml, app, request.id)
        assert len(etree.fromstring(xml).xpath(LOGOUT_RESPONSE_SIGNATURE, namespaces=NS)) == 1

        # python3-saml: the enveloped signature with signet's certificate, then the message.
        assert python3_saml_signature_error(xml, app.cert_pem) is None, (
            f"python3-saml rejected the LogoutResponse signature: "
            f"{python3_saml_signature_error(xml, app.cert_pem)}\n{xml!r}"
        )
        unsigned_view = sp(app, want_messages_signed=False).get_settings()
        response = OneLogin_Saml2_Logout_Response(unsigned_view, post.saml_response_b64)
        assert response.is_valid(request_data_at(app.sls_url), request_id=request.id), (
            response.get_error()
        )
        assert response.get_status() == STATUS_SUCCESS

        # xmlsec1 agrees, and neither accepts it once the InResponseTo is changed.
        good = xmlsec1_verify_logout_response(xmlsec1, xml, app.cert_pem, tmp_path)
        assert verified(good), shown(good)
        tampered = xml.replace(request.id.encode(), b"_" + b"0" * 40)
        assert tampered != xml
        bad = xmlsec1_verify_logout_response(xmlsec1, tampered, app.cert_pem, tmp_path)
        assert bad.returncode != 0, "xmlsec1 accepted a tampered LogoutResponse: " + shown(bad)
        assert python3_saml_signature_error(tampered, app.cert_pem) is not None, (
            "python3-saml accepted a tampered LogoutResponse"
        )

        assert is_login_page(sso_answer(browser, app))


# --- 5. propagation to a second SP ------------------------------------------------------


@pytest.mark.parametrize("sp2_status", ["success", "responder"])
def test_logout_propagates_to_second_sp_then_answers_first(
    make_app, sp_key: SpKey, sp2_status: str
) -> None:
    sp1, sp2 = make_app(), make_app()
    with requests.Session() as browser:
        first = sign_in_to(browser, sp1)
        second = sign_in_to(browser, sp2)
        assert first.saw_login_page and not second.saw_login_page
        assert first.session_index != second.session_index

        sent = logout_request_url(sp1, first.session_index)
        answer = browser.get(sent.url, allow_redirects=False, timeout=10)

        # signet asks sp2 first: a LogoutRequest signed over the redirect query.
        at_sp2 = redirected_to(answer, sp2.sls_url)
        assert query_names(at_sp2)[0] == "SAMLRequest"
        assert query_names(at_sp2)[-2:] == ["SigAlg", "Signature"]
        sp2_auth = sp(sp2, at_url=at_sp2, key=sp_key)
        request_xml = inflate(request_data_at(at_sp2)["get_data"]["SAMLRequest"]).decode()
        assert OneLogin_Saml2_Logout_Request.get_nameid(request_xml) == EMAIL
        assert OneLogin_Saml2_Logout_Request.get_session_indexes(request_xml) == [
            second.session_index
        ]
        assert OneLogin_Saml2_Logout_Request.get_issuer(request_xml) == IDP_ENTITY_ID
        assert etree.fromstring(request_xml.encode()).get("Destination") == sp2.sls_url
        sp2_request_id = OneLogin_Saml2_Logout_Request.get_id(request_xml)

        if sp2_status == "success":
            # python3-saml as sp2 validates the request and writes the (signed) answer.
            back = sp2_auth.process_slo(keep_local_session=True)
            assert sp2_auth.get_errors() == [], sp2_auth.get_last_error_reason()
        else:
            assert sp2_auth.validate_request_signature(request_data_at(at_sp2)["get_data"])
            logout_request = OneLogin_Saml2_Logout_Request(
                sp2_auth.get_settings(), request_data_at(at_sp2)["get_data"]["SAMLRequest"]
            )
            assert logout_request.is_valid(request_data_at(at_sp2)), logout_request.get_error()
            builder = OneLogin_Saml2_Logout_Response(sp2_auth.get_settings())
            builder.build(sp2_request_id, status=STATUS_RESPONDER)
            parameters = {"SAMLResponse": builder.get_response()}
            sp2_auth.add_response_signature(parameters, RSA_SHA256)
            back = OneLogin_Saml2_Utils.redirect(sp2.slo_redirect_url, parameters)
        assert back.startswith(sp2.slo_redirect_url + "?"), back
        sp2_answer = inflate(request_data_at(back)["get_data"]["SAMLResponse"])
        assert etree.fromstring(sp2_answer).get("InResponseTo") == sp2_request_id

        # sp2's LogoutResponse goes back to signet, which then answers sp1.
        answer = browser.get(back, allow_redirects=False, timeout=10)
        at_sp1 = redirected_to(answer, sp1.sls_url)
        verdict = judge_logout_response(sp1, at_sp1, sent.request_id)
        assert verdict.errors == [], f"python3-saml: {verdict.errors} {verdict.reason}"
        assert_logout_response_answers(verdict.xml, sp1, sent.request_id)
        assert verdict.relay_state == RELAY_STATE
        expected = [STATUS_SUCCESS] if sp2_status == "success" else [
            STATUS_SUCCESS, STATUS_PARTIAL_LOGOUT
        ]
        assert status_codes(verdict.xml) == expected, verdict.xml

        # Both SPs now get the login page.
        assert is_login_page(sso_answer(browser, sp1))
        assert is_login_page(sso_answer(browser, sp2))


# --- 6. metadata ------------------------------------------------------------------------


def test_metadata_lists_single_logout_service_for_both_bindings(make_app) -> None:
    app = make_app()
    answer = requests.get(app.metadata_url, timeout=10)
    assert answer.status_code == 200, describe(answer)
    document = etree.fromstring(answer.content)
    services = {
        s.get("Binding"): s.get("Location")
        for s in document.iterfind("md:IDPSSODescriptor/md:SingleLogoutService", NS)
    }
    assert services == {
        BINDING_REDIRECT: app.slo_redirect_url,
        BINDING_POST: app.slo_post_url,
    }, services

    parsed = OneLogin_Saml2_IdPMetadataParser.parse(
        answer.text, required_slo_binding=OneLogin_Saml2_Constants.BINDING_HTTP_REDIRECT
    )
    assert parsed["idp"]["singleLogoutService"]["url"] == app.slo_redirect_url
    parsed = OneLogin_Saml2_IdPMetadataParser.parse(
        answer.text, required_slo_binding=OneLogin_Saml2_Constants.BINDING_HTTP_POST
    )
    assert parsed["idp"]["singleLogoutService"]["url"] == app.slo_post_url


# --- 7. signet's own "Sign out" ---------------------------------------------------------


def test_signet_sign_out_button_tells_every_sp_then_shows_signed_out(make_app) -> None:
    """Issue 3, IdP-initiated logout: a Sign out form (POST with CSRF) on signet's own page."""
    sp1, sp2 = make_app(), make_app()
    with requests.Session() as browser:
        sessions = {sp1.slug: sign_in_to(browser, sp1), sp2.slug: sign_in_to(browser, sp2)}
        home = browser.get(sp1.signet.base_url + "/", timeout=10)
        assert home.status_code == 200, describe(home)
        sign_out = [
            form for form in forms_in(home.text)
            if urlsplit(urljoin(home.url, form["attrs"].get("action", ""))).path == "/logout/"
        ]
        assert len(sign_out) == 1, (
            "no Sign out form posting to /logout/ on signet's home page\n" + describe(home)
        )
        form = sign_out[0]
        assert form["attrs"].get("method", "").lower() == "post" and "csrf" in form["inputs"]
        answer = browser.post(
            urljoin(home.url, form["attrs"]["action"]), data=form["inputs"],
            allow_redirects=False, timeout=10,
        )

        told = []
        while answer.status_code == 303:
            location = answer.headers["Location"]
            target = next(a for a in (sp1, sp2) if location.startswith(a.sls_url + "?"))
            auth = sp(target, at_url=location)
            xml = inflate(request_data_at(location)["get_data"]["SAMLRequest"]).decode()
            assert OneLogin_Saml2_Logout_Request.get_session_indexes(xml) == [
                sessions[target.slug].session_index
            ]
            back = auth.process_slo(keep_local_session=True)
            assert auth.get_errors() == [], auth.get_last_error_reason()
            told.append(target.slug)
            answer = browser.get(back, allow_redirects=False, timeout=10)
        assert sorted(told) == sorted([sp1.slug, sp2.slug])
        assert answer.status_code == 200 and "signed out" in answer.text, describe(answer)
        assert is_login_page(sso_answer(browser, sp1))
