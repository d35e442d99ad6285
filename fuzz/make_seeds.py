#!/usr/bin/env python3
"""Writes the seed inputs under fuzz/seeds/<target>/.

Realistic messages (AuthnRequests shaped like python3-saml's and WorkOS's,
LogoutRequest, LogoutResponse, signed and unsigned redirect queries) and the
hostile cases of issue 5. Signatures are made with a throwaway key: the fuzz
targets verify against keys generated at start, so no seed verifies; the
signed seeds are there to lead the fuzzer through the signature paths.

Run from anywhere: python3 fuzz/make_seeds.py  (needs python3-cryptography).
Existing seed directories are replaced.
"""

import base64
import pathlib
import shutil
import urllib.parse
import zlib

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

SEEDS = pathlib.Path(__file__).resolve().parent / "seeds"

P = "urn:oasis:names:tc:SAML:2.0:protocol"
A = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
EXC = "http://www.w3.org/2001/10/xml-exc-c14n#"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
NS = f'xmlns:samlp="{P}" xmlns:saml="{A}"'
OK = 'Version="2.0" IssueInstant="2025-05-01T12:00:00Z"'

# As python3-saml (OneLogin) builds it.
ONELOGIN = f"""<samlp:AuthnRequest
    {NS}
    ID="ONELOGIN_809707f0030a5d00620c9d9df97f627afe9dcc24"
    Version="2.0"
    ProviderName="SP test"
    IssueInstant="2014-07-16T23:52:45Z"
    Destination="https://idp.example.com/application/saml/app/sso/binding/redirect/"
    ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
    AssertionConsumerServiceURL="https://sp.example.com/demo1/index.php?acs">
    <saml:Issuer>https://sp.example.com/demo1/metadata.php</saml:Issuer>
    <samlp:NameIDPolicy
        Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
        AllowCreate="true" />
    <samlp:RequestedAuthnContext Comparison="exact">
        <saml:AuthnContextClassRef>
            urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport
        </saml:AuthnContextClassRef>
    </samlp:RequestedAuthnContext>
</samlp:AuthnRequest>"""

# In the shape WorkOS sends for ChatGPT Enterprise: one line, fractional
# seconds, an ACS URL with a query string, numeric booleans.
WORKOS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<samlp:AuthnRequest {NS} '
    'ID="_6f9b7c0e-3c1d-4a8e-9d2b-5e4f3a2b1c0d" Version="2.0" '
    'IssueInstant="2025-05-01T12:00:00.123Z" '
    'Destination="https://idp.example.com/application/saml/chatgpt/sso/binding/redirect/" '
    'AssertionConsumerServiceURL="https://auth.workos.com/sso/saml/acs/conn_01HX?tenant=a&amp;x=%2F" '
    'ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
    'ForceAuthn="1" IsPassive="0">'
    "<saml:Issuer>https://auth.workos.com/AbC123</saml:Issuer>"
    '<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" '
    'AllowCreate="0" SPNameQualifier="https://auth.workos.com/AbC123"/>'
    "</samlp:AuthnRequest>"
)

# The protocol namespace as default namespace, Shibboleth style.
DEFAULT_NS = f"""<AuthnRequest xmlns="{P}"
 ID="id-1a2b3c" Version="2.0" IssueInstant="2024-03-01T10:00:00+00:00"
 AssertionConsumerServiceIndex="2">
  <Issuer xmlns="{A}"
    Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">
      https://sp.example.org/shibboleth
  </Issuer>
  <NameIDPolicy AllowCreate="1"/>
</AuthnRequest>"""


def enveloped(ref_id, prefixes=""):
    """An enveloped ds:Signature of the one shape the verifier accepts, with
    digest and signature values that are well-formed but wrong."""
    inclusive = (
        f'<ec:InclusiveNamespaces xmlns:ec="{EXC}" PrefixList="{prefixes}"/>' if prefixes else ""
    )
    return (
        f'<ds:Signature xmlns:ds="{DS}"><ds:SignedInfo>'
        f'<ds:CanonicalizationMethod Algorithm="{EXC}"/>'
        f'<ds:SignatureMethod Algorithm="{RSA_SHA256}"/>'
        f'<ds:Reference URI="#{ref_id}"><ds:Transforms>'
        '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
        f'<ds:Transform Algorithm="{EXC}">{inclusive}</ds:Transform>'
        "</ds:Transforms>"
        '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
        f"<ds:DigestValue>{base64.b64encode(bytes(32)).decode()}</ds:DigestValue>"
        "</ds:Reference></ds:SignedInfo>"
        f"<ds:SignatureValue>{base64.b64encode(bytes(256)).decode()}</ds:SignatureValue>"
        "<ds:KeyInfo><ds:X509Data><ds:X509Certificate>MIIB</ds:X509Certificate>"
        "</ds:X509Data></ds:KeyInfo></ds:Signature>"
    )


AUTHN_SIGNED = (
    f'<samlp:AuthnRequest {NS} ID="_signed1" {OK} '
    'AssertionConsumerServiceURL="https://sp.example.com/acs">'
    "<saml:Issuer>https://sp.example.com</saml:Issuer>"
    f'{enveloped("_signed1", "saml samlp")}'
    '<samlp:NameIDPolicy AllowCreate="true"/></samlp:AuthnRequest>'
)

LOGOUT_REQUEST = (
    f'<samlp:LogoutRequest {NS} ID="_lr1" {OK} '
    'Destination="https://idp.example.com/application/saml/app/slo/" '
    'NotOnOrAfter="2025-05-01T12:05:00Z" Reason="urn:oasis:names:tc:SAML:2.0:logout:user">'
    "<saml:Issuer>https://sp.example.com/metadata</saml:Issuer>"
    '<saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" '
    'SPNameQualifier="https://sp.example.com/metadata">alice@example.com</saml:NameID>'
    "<samlp:SessionIndex>_s1</samlp:SessionIndex><samlp:SessionIndex>_s2</samlp:SessionIndex>"
    "</samlp:LogoutRequest>"
)

LOGOUT_REQUEST_SIGNED = (
    f'<samlp:LogoutRequest {NS} ID="_lr2" {OK}>'
    "<saml:Issuer>https://sp.example.com/metadata</saml:Issuer>"
    f'{enveloped("_lr2")}'
    "<saml:NameID>alice@example.com</saml:NameID>"
    "<samlp:SessionIndex>_s1</samlp:SessionIndex></samlp:LogoutRequest>"
)

LOGOUT_RESPONSE = (
    f'<samlp:LogoutResponse {NS} ID="_resp1" InResponseTo="_req1" {OK} '
    'Destination="https://idp.example.com/application/saml/app/slo/">'
    "<saml:Issuer>https://sp.example.com/metadata</saml:Issuer>"
    '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder">'
    '<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:PartialLogout"/>'
    "</samlp:StatusCode><samlp:StatusMessage>partial</samlp:StatusMessage>"
    "<samlp:StatusDetail><x xmlns=\"urn:x\"/></samlp:StatusDetail></samlp:Status>"
    "</samlp:LogoutResponse>"
)

LOGOUT_RESPONSE_SIGNED = (
    f'<samlp:LogoutResponse {NS} ID="_resp2" InResponseTo="_req1" {OK}>'
    "<saml:Issuer>https://sp.example.com/metadata</saml:Issuer>"
    f'{enveloped("_resp2")}'
    '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>'
    "</samlp:Status></samlp:LogoutResponse>"
)


def authn(attrs=f'ID="_a1" {OK}', body="<saml:Issuer>https://sp.example.com</saml:Issuer>"):
    return f"<samlp:AuthnRequest {NS} {attrs}>{body}</samlp:AuthnRequest>"


def logout(body="<saml:Issuer>https://sp.example.com</saml:Issuer>"
           "<saml:NameID>alice@example.com</saml:NameID>", attrs=f'ID="_l1" {OK}'):
    return f"<samlp:LogoutRequest {NS} {attrs}>{body}</samlp:LogoutRequest>"


REALISTIC = {
    "authn_onelogin": ONELOGIN,
    "authn_workos": WORKOS,
    "authn_default_ns": DEFAULT_NS,
    "authn_signed": AUTHN_SIGNED,
    "logout_request": LOGOUT_REQUEST,
    "logout_request_signed": LOGOUT_REQUEST_SIGNED,
    "logout_response": LOGOUT_RESPONSE,
    "logout_response_signed": LOGOUT_RESPONSE_SIGNED,
}

HOSTILE = {
    "doctype_billion_laughs": '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    + logout("<saml:Issuer>&lol3;</saml:Issuer><saml:NameID>a</saml:NameID>"),
    "doctype_external_entity": '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    + logout("<saml:Issuer>&xxe;</saml:Issuer><saml:NameID>a</saml:NameID>"),
    "doctype_bare": "<!DOCTYPE samlp:LogoutRequest>" + logout(),
    "pi_before_root": '<?xml version="1.0"?><?xml-stylesheet href="x.xsl"?>' + logout(),
    "pi_inside": logout("<?evil x?><saml:Issuer>a</saml:Issuer><saml:NameID>a</saml:NameID>"),
    "decl_not_first": " " + '<?xml version="1.0"?>' + logout(),
    "decl_latin1": '<?xml version="1.0" encoding="ISO-8859-1"?>' + logout(),
    "decl_version_11": '<?xml version="1.1"?>' + logout(),
    "bom_and_decl": "\ufeff" + '<?xml version="1.0" encoding="utf-8" standalone="yes"?>' + logout(),
    "comment_in_issuer": logout("<saml:Issuer>https://sp.example.com<!---->.evil</saml:Issuer>"
                                "<saml:NameID>a</saml:NameID>"),
    "comment_in_nameid": logout("<saml:Issuer>a</saml:Issuer>"
                                "<saml:NameID>admin@example.com<!-- -->.evil.com</saml:NameID>"),
    "cdata_in_nameid": logout("<saml:Issuer>a</saml:Issuer>"
                              "<saml:NameID><![CDATA[admin@example.com]]></saml:NameID>"),
    "cdata_in_issuer": authn(body="<saml:Issuer><![CDATA[https://sp.example.com]]></saml:Issuer>"),
    "element_in_nameid": logout("<saml:Issuer>a</saml:Issuer>"
                                "<saml:NameID>a<saml:x/>b</saml:NameID>"),
    "foreign_ns_root": LOGOUT_REQUEST.replace(P, "urn:evil:protocol"),
    "foreign_child": logout("<saml:Issuer>a</saml:Issuer><e:x xmlns:e=\"urn:e\"/>"
                            "<saml:NameID>a</saml:NameID>"),
    "root_in_no_namespace": '<LogoutRequest ID="_1" Version="2.0" '
    'IssueInstant="2025-05-01T12:00:00Z"><Issuer>a</Issuer></LogoutRequest>',
    "assertion_root": f'<saml:Assertion xmlns:saml="{A}" ID="_x" {OK}/>',
    "children_out_of_order": logout("<saml:NameID>a</saml:NameID><saml:Issuer>a</saml:Issuer>"),
    "two_nameids": logout("<saml:Issuer>a</saml:Issuer><saml:NameID>a</saml:NameID>"
                          "<saml:NameID>b</saml:NameID>"),
    "encrypted_id": logout("<saml:Issuer>a</saml:Issuer><saml:EncryptedID/>"),
    "signature_in_extensions": authn(body="<saml:Issuer>a</saml:Issuer><samlp:Extensions>"
                                     + enveloped("_a1") + "</samlp:Extensions>"),
    "two_signatures": authn(body="<saml:Issuer>a</saml:Issuer>" + enveloped("_a1")
                            + "<samlp:Extensions>" + enveloped("_a1") + "</samlp:Extensions>"),
    "id_numeric": logout(attrs=f'ID="123456" {OK}'),
    "id_long": logout(attrs=f'ID="_{"a" * 300}" {OK}'),
    "id_missing": logout(attrs=OK),
    "id_with_space": authn(attrs=f'ID="_a b" {OK}'),
    "version_11": authn(attrs='ID="_a1" Version="1.1" IssueInstant="2025-05-01T12:00:00Z"'),
    "issue_instant_no_zone": authn(attrs='ID="_a1" Version="2.0" IssueInstant="2025-05-01T12:00:00"'),
    "issue_instant_garbage": logout(attrs='ID="_a1" Version="2.0" IssueInstant="yesterday"'),
    "issue_instant_leap": authn(attrs='ID="_a1" Version="2.0" IssueInstant="2016-12-31T23:59:60Z"'),
    "acs_url_and_index": authn(attrs=f'ID="_a1" {OK} AssertionConsumerServiceURL="https://a/" '
                               'AssertionConsumerServiceIndex="1"'),
    "acs_index_overflow": authn(attrs=f'ID="_a1" {OK} AssertionConsumerServiceIndex="+65536"'),
    "subject_in_authn": authn(body="<saml:Issuer>a</saml:Issuer><saml:Subject/>"),
    "authn_context_decl": authn(body="<saml:Issuer>a</saml:Issuer><samlp:RequestedAuthnContext>"
                                "<saml:AuthnContextDeclRef>x</saml:AuthnContextDeclRef>"
                                "</samlp:RequestedAuthnContext>"),
    "issuer_bad_format": authn(body='<saml:Issuer Format="urn:x">a</saml:Issuer>'),
    "duplicate_attribute": authn(attrs=f'ID="_a1" ID="_a2" {OK}'),
    "duplicate_expanded_attribute": authn(attrs=f'ID="_a1" {OK} xmlns:x="urn:x" xmlns:y="urn:x" '
                                          'x:a="1" y:a="2"'),
    "unbound_prefix": logout("<saml:Issuer>a</saml:Issuer><zz:NameID>a</zz:NameID>"),
    "xmlns_undeclare_prefix": authn(body='<saml:Issuer xmlns:saml="">a</saml:Issuer>'),
    "xmlns_rebind_xml": authn(attrs=f'ID="_a1" {OK} xmlns:xml="urn:not-xml"'),
    "unknown_entity": logout("<saml:Issuer>&nbsp;</saml:Issuer><saml:NameID>a</saml:NameID>"),
    "char_refs": logout("<saml:Issuer>&#x68;ttps://a&#47;&amp;&lt;&gt;</saml:Issuer>"
                        "<saml:NameID>&#0;</saml:NameID>"),
    "control_char": logout("<saml:Issuer>a\x01</saml:Issuer><saml:NameID>a</saml:NameID>"),
    "two_roots": logout() + logout(),
    "text_outside_root": logout() + "trailing",
    "unclosed": logout()[:-10],
    "deep_nesting": authn(body="<samlp:Extensions>" + "<x>" * 40 + "</x>" * 40
                          + "</samlp:Extensions>"),
    "many_elements": authn(body="<samlp:Extensions>" + "<x/>" * 2100 + "</samlp:Extensions>"),
    "many_attributes": authn(attrs=f'ID="_a1" {OK} '
                             + " ".join(f'a{i}="{i}"' for i in range(40))),
    "status_code_nested": LOGOUT_RESPONSE.replace(
        '<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:PartialLogout"/>',
        '<samlp:StatusCode Value="a">' * 20 + "</samlp:StatusCode>" * 20),
    "logout_response_no_status": f'<samlp:LogoutResponse {NS} ID="_r" {OK}>'
    "<saml:Issuer>a</saml:Issuer></samlp:LogoutResponse>",
    "not_utf8": logout().replace("alice", "al\xe9ce").encode("latin-1"),
}

# Shapes that exercise exclusive canonicalization beyond the messages above.
C14N = {
    "c14n_namespaces": '<a:r xmlns:a="urn:a" xmlns:b="urn:b" xmlns="urn:d" b:x="1" y="2">'
    '<c xmlns="" a:z="&#9;&#13;&#10;&quot;"><b:d xmlns:b="urn:b2">t&amp;&gt;\r\n</b:d></c>'
    '<a:e/><e xmlns="urn:d"/></a:r>',
    "c14n_xml_attrs": '<r xml:lang="en" xmlns:p="urn:p"><p:s xml:space="preserve"> </p:s></r>',
    # Found by the fuzzer: the default namespace re-declared on each of many
    # children made the target's size guard trip on the second pass.
    "harness_guard_default_ns_on_many_children": '<a:r xmlns:a="urn:a" xmlns:b="urn:b" '
    'xmlns="urn:d" b:x="1" y=";">' + "<x/>" * 656 + "</a:r>",
}


def raw_deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def q(value) -> str:
    if isinstance(value, str):
        value = value.encode()
    return urllib.parse.quote(value, safe="-._~")


def message_param(xml, name="SAMLRequest"):
    data = xml.encode() if isinstance(xml, str) else xml
    return f"{name}={q(base64.b64encode(raw_deflate(data)))}"


RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def signed(unsigned, alg):
    """Appends a real signature over the octets as they will be sent."""
    octets = unsigned.encode()
    if alg == ECDSA_SHA256:
        sig = EC_KEY.sign(octets, ec.ECDSA(hashes.SHA256()))
    else:
        digest = hashes.SHA1() if alg == RSA_SHA1 else hashes.SHA256()
        sig = RSA_KEY.sign(octets, padding.PKCS1v15(), digest)
    return f"{unsigned}&Signature={q(base64.b64encode(sig))}"


def unpadded(xml):
    """A message parameter whose base64 needed padding, sent without it."""
    while len(raw_deflate(xml.encode())) % 3 == 0:
        xml += " "
    return "SAMLRequest=" + q(base64.b64encode(raw_deflate(xml.encode())).rstrip(b"="))


def redirect_queries():
    authn_q = message_param(ONELOGIN)
    logout_q = message_param(LOGOUT_REQUEST)
    resp_q = message_param(LOGOUT_RESPONSE, "SAMLResponse")
    relay = "RelayState=" + q("https://sp.example.com/after?x=1&y=<b>")
    out = {
        "authn_unsigned": authn_q,
        "authn_workos_relay": f"{message_param(WORKOS)}&{relay}",
        "authn_signed_sha256": signed(f"{authn_q}&{relay}&SigAlg={q(RSA_SHA256)}", RSA_SHA256),
        "authn_signed_relay_as_sent": signed(
            f"{authn_q}&RelayState=a~b*c'd%20e%2fF%2Bg&SigAlg={q(RSA_SHA256)}", RSA_SHA256),
        "authn_signed_sha1": signed(f"{authn_q}&SigAlg={q(RSA_SHA1)}", RSA_SHA1),
        "authn_signed_ecdsa": signed(f"{authn_q}&SigAlg={q(ECDSA_SHA256)}", ECDSA_SHA256),
        "authn_signed_unknown_alg": signed(
            f"{authn_q}&SigAlg={q('http://www.w3.org/2000/09/xmldsig#dsa-sha1')}", RSA_SHA256),
        "logout_request_signed": signed(f"{logout_q}&{relay}&SigAlg={q(RSA_SHA256)}", RSA_SHA256),
        "logout_request_unsigned": logout_q,
        "logout_response_signed": signed(f"{resp_q}&SigAlg={q(RSA_SHA256)}", RSA_SHA256),
        "logout_response_unsigned": f"{resp_q}&RelayState=abc",
        "signed_params_reordered": "&".join(reversed(
            signed(f"{authn_q}&RelayState=xyz&SigAlg={q(RSA_SHA256)}", RSA_SHA256).split("&")))
        + "&other=1",
        "encoded_parameter_names": f"foo=%zz&{authn_q.replace('SAMLRequest', 'SAML%52equest')}"
        "&Relay%53tate=x",
        "repeated_saml_request": f"{authn_q}&{authn_q}",
        "repeated_relay_state": f"{authn_q}&RelayState=a&RelayState=b",
        "repeated_sigalg": f"{authn_q}&SigAlg={q(RSA_SHA256)}&SigAlg={q(RSA_SHA256)}&Signature=AA",
        "request_and_response": f"{authn_q}&{resp_q}",
        "signature_without_sigalg": f"{authn_q}&Signature=AAAA",
        "sigalg_without_signature": f"{authn_q}&SigAlg={q(RSA_SHA256)}",
        "relay_state_too_long": f"{authn_q}&RelayState={'r' * 1025}",
        "relay_state_not_utf8": f"{authn_q}&RelayState=%FF%FE",
        "bad_percent_escape": f"{authn_q}&RelayState=a%4",
        "bad_base64": "SAMLRequest=%21%21%21",
        "base64_url_alphabet": "SAMLRequest=ab-_",
        "base64_unpadded": unpadded(LOGOUT_REQUEST),
        "zlib_not_raw_deflate": f"SAMLRequest={q(base64.b64encode(zlib.compress(ONELOGIN.encode())))}",
        "not_deflated": f"SAMLRequest={q(base64.b64encode(ONELOGIN.encode()))}",
        "deflate_truncated": f"SAMLRequest={q(base64.b64encode(raw_deflate(ONELOGIN.encode())[:-3]))}",
        "deflate_trailing": f"SAMLRequest={q(base64.b64encode(raw_deflate(ONELOGIN.encode()) + b'junk'))}",
        "deflate_bomb": message_param(bytes(8 * 1024 * 1024)),
        "inflates_just_over_64k": message_param(b"<a>" + b" " * (64 * 1024) + b"</a>"),
        "empty_message": "SAMLRequest=",
        "no_message": "RelayState=x",
        "query_over_16k": f"{authn_q}&pad={'a' * (16 * 1024)}",
        "deflated_doctype": message_param(HOSTILE["doctype_billion_laughs"]),
        "deflated_comment_in_nameid": message_param(HOSTILE["comment_in_nameid"]),
        "deflated_logout_at_authn": message_param(LOGOUT_REQUEST),
        "deflated_id_long": message_param(HOSTILE["id_long"]),
    }
    return out


def write(target, seeds):
    directory = SEEDS / target
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    for name, value in seeds.items():
        data = value.encode() if isinstance(value, str) else value
        (directory / name).write_bytes(data)


def main():
    xml = {**REALISTIC, **HOSTILE}
    queries = redirect_queries()
    write("redirect_decode", queries)
    write("redirect_signature", {k: v for k, v in queries.items()
                                 if "signed" in k or "sig" in k or "relay" in k})
    post = {}
    for name, value in xml.items():
        data = value.encode() if isinstance(value, str) else value
        post[name] = base64.b64encode(data)
    # As browsers post it: wrapped at 76 columns with CRLF.
    post["authn_onelogin_wrapped"] = base64.encodebytes(ONELOGIN.encode()).replace(b"\n", b"\r\n")
    post["bad_base64"] = b"!!!!"
    post["deflated_not_plain"] = base64.b64encode(raw_deflate(ONELOGIN.encode()))
    post["urlsafe_alphabet"] = base64.urlsafe_b64encode(b"\xfb\xff" + ONELOGIN.encode())
    write("post_decode", post)
    write("logout_parse", xml)
    write("xml_c14n", {**xml, **C14N})


if __name__ == "__main__":
    main()
