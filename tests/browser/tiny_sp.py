"""A tiny SAML service provider for the browser test, built on python3-saml.

It serves three pages on loopback: `/` with a "Sign in" link, `/login` which sends the
browser to the IdP's SSO redirect URL with an AuthnRequest, and `/acs/` which validates the
posted Response strictly (signature with the given certificate, Destination, Audience,
InResponseTo, times) and shows "Signed in as <NameID>". Nothing here imports signet code.
"""

from __future__ import annotations

import html
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from onelogin.saml2.auth import OneLogin_Saml2_Auth

BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
BINDING_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
NAMEID_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"


class TinySp:
    """A running SP: its URLs, and the last sign-in it accepted."""

    def __init__(self, idp_entity_id: str, idp_sso_url: str, idp_cert_pem: str) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.sp = self  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.entity_id = f"{self.base_url}/metadata/"
        self.acs_url = f"{self.base_url}/acs/"
        self.pending_request_id: str | None = None
        self.signed_in_as: str | None = None
        self.settings = {
            "strict": True,
            "debug": False,
            "sp": {
                "entityId": self.entity_id,
                "assertionConsumerService": {"url": self.acs_url, "binding": BINDING_POST},
                "NameIDFormat": NAMEID_EMAIL,
                "x509cert": "",
                "privateKey": "",
            },
            "idp": {
                "entityId": idp_entity_id,
                "singleSignOnService": {"url": idp_sso_url, "binding": BINDING_REDIRECT},
                "x509cert": idp_cert_pem,
            },
            "security": {
                "authnRequestsSigned": False,
                "wantAssertionsSigned": True,
                "wantMessagesSigned": False,
                "wantNameId": True,
                "requestedAuthnContext": False,
                "rejectDeprecatedAlgorithm": True,
            },
        }
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> "TinySp":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def request_data(self, path: str, post: dict[str, str] | None = None) -> dict:
        """What python3-saml needs to know the URL it is answering at."""
        return {
            "https": "off",
            "http_host": f"127.0.0.1:{self.port}",
            "script_name": path,
            "get_data": {},
            "post_data": post or {},
        }


def _page(title: str, body: str) -> bytes:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head>"
        "<body style='font-family:sans-serif;margin:3rem'>"
        f"<p style='color:#666'>Tiny SP (python3-saml)</p>{body}</body></html>"
    ).encode()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - quiet test output
        pass

    @property
    def sp(self) -> TinySp:
        return self.server.sp  # type: ignore[attr-defined]

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path == "/":
            self._send(200, _page("Tiny SP", "<h1>Tiny SP</h1><p><a href='/login'>Sign in</a></p>"))
        elif self.path == "/login":
            auth = OneLogin_Saml2_Auth(self.sp.request_data("/login"), old_settings=self.sp.settings)
            url = auth.login(return_to=f"{self.sp.base_url}/")
            self.sp.pending_request_id = auth.get_last_request_id()
            self._send(302, b"", {"Location": url})
        else:
            self._send(404, _page("Not found", "<h1>Not found</h1>"))

    def do_POST(self) -> None:  # noqa: N802
        if self.path != "/acs/":
            self._send(404, _page("Not found", "<h1>Not found</h1>"))
            return
        length = int(self.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        auth = OneLogin_Saml2_Auth(self.sp.request_data("/acs/", form), old_settings=self.sp.settings)
        auth.process_response(request_id=self.sp.pending_request_id)
        errors = auth.get_errors()
        if errors or not auth.is_authenticated():
            reason = auth.get_last_error_reason() or ", ".join(errors)
            self._send(400, _page("Refused", f"<h1>Refused</h1><p id='reason'>{html.escape(reason)}</p>"))
            return
        name_id = auth.get_nameid()
        self.sp.signed_in_as = name_id
        rows = "".join(
            f"<li><code>{html.escape(k)}</code>: {html.escape(', '.join(v))}</li>"
            for k, v in sorted(auth.get_attributes().items())
        )
        body = (
            f"<h1 id='result'>Signed in as {html.escape(name_id)}</h1>"
            f"<p>The Response's signature, Destination, Audience and InResponseTo were checked.</p>"
            f"<ul>{rows}</ul>"
        )
        self._send(200, _page("Signed in", body))
