// node-saml as a service provider, driven line by line over stdin/stdout by
// test_node_saml_judge.py, so that one SAML instance (and its in-memory cache
// of request IDs) sees the whole exchange. Every line in and out is JSON.
//
//   in:  {"options": {...}}             SamlConfig; idpCert and privateKey are PEM
//   out: {"url": "..."}                 the signed redirect AuthnRequest
//   in:  {"SAMLResponse": ..., "RelayState": ...}
//   out: {"ok": true, "profile": {...}} or {"ok": false, "error": "..."}
//   in:  {"logout": true, "RelayState": "..."}   (optional, after a good sign-in)
//   out: {"url": "..."}                 the signed redirect LogoutRequest
//   in:  {"query": "..."}               the query of the LogoutResponse signet redirected to
//   out: {"ok": true, "loggedOut": ...} or {"ok": false, "error": "..."}
"use strict";

const readline = require("node:readline");
const { SAML, ValidateInResponseTo } = require("@node-saml/node-saml");

const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();

async function next() {
  const { value, done } = await lines.next();
  if (done) {
    process.exit(0);
  }
  return JSON.parse(value);
}

function say(value) {
  process.stdout.write(JSON.stringify(value) + "\n");
}

async function verdict(work) {
  try {
    say({ ok: true, ...(await work()) });
    return true;
  } catch (error) {
    say({ ok: false, error: String(error && error.message ? error.message : error) });
    return false;
  }
}

async function main() {
  const { options } = await next();
  const saml = new SAML({ ...options, validateInResponseTo: ValidateInResponseTo.always });

  say({ url: await saml.getAuthorizeUrlAsync("", undefined, {}) });

  let profile = null;
  await verdict(async () => {
    const answer = await saml.validatePostResponseAsync(await next());
    profile = answer.profile;
    return { profile };
  });

  const logout = await next();
  say({ url: await saml.getLogoutUrlAsync(profile, logout.RelayState || "", {}) });
  const { query } = await next();
  const parsed = Object.fromEntries(new URLSearchParams(query));
  await verdict(async () => {
    const answer = await saml.validateRedirectAsync(parsed, query);
    return { loggedOut: answer.loggedOut };
  });
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(1);
});
