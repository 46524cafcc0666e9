'use strict';
// Scenarios of the router's standard authentication methods (package auth):
// autobahn-js joins realm "interop.std-auth" by ticket, WAMP-CRA (plain and
// salted, its own derive_key) and cryptosign (tweetnacl, a dependency of
// autobahn), and is refused for a wrong secret. The Go side (auth_test.go)
// configures the realm with the users below. These are test credentials.

const h = require('./harness.js');
const { check, jsonLine } = h;
const autobahn = h.autobahn;

const SEED_HEX = '4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510';

function hexToBytes(s) {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(2 * i, 2), 16);
  return out;
}

// options per scenario: HELLO's authid/authmethods/authextra and the
// CHALLENGE handler, autobahn's own helpers doing the cryptography.
function options(scenario, seen) {
  const note = (method) => seen.push(method);
  switch (scenario) {
    case 'auth-ticket':
      return { authid: 'js-ticket', authmethods: ['ticket'],
        onchallenge: (s, method) => { note(method); return 'js-ticket-secret'; } };
    case 'auth-wampcra':
    case 'auth-wrong-secret':
      return { authid: 'js-cra', authmethods: ['wampcra'],
        onchallenge: (s, method, extra) => {
          note(method);
          const secret = scenario === 'auth-wampcra' ? 'js-cra-secret' : 'not-the-secret';
          return autobahn.auth_cra.sign(secret, extra.challenge);
        } };
    case 'auth-wampcra-salted':
      return { authid: 'js-salted', authmethods: ['wampcra'],
        onchallenge: (s, method, extra) => {
          note(method);
          const key = autobahn.auth_cra.derive_key('js-salted-password', extra.salt, extra.iterations, extra.keylen);
          return autobahn.auth_cra.sign(key, extra.challenge);
        } };
    case 'auth-cryptosign': {
      const pair = autobahn.nacl.sign.keyPair.fromSeed(hexToBytes(SEED_HEX));
      return { authid: 'js-device', authmethods: ['cryptosign'],
        authextra: { pubkey: autobahn.auth_cryptosign.public_key(pair) },
        onchallenge: (s, method, extra) => { note(method); return autobahn.auth_cryptosign.sign_challenge(pair, extra); } };
    }
  }
  throw new Error('no options for ' + scenario);
}

const WANT = {
  'auth-ticket': { authid: 'js-ticket', authrole: 'ticket-role', authmethod: 'ticket' },
  'auth-wampcra': { authid: 'js-cra', authrole: 'cra-role', authmethod: 'wampcra' },
  'auth-wampcra-salted': { authid: 'js-salted', authrole: 'salted-role', authmethod: 'wampcra' },
  'auth-cryptosign': { authid: 'js-device', authrole: 'device-role', authmethod: 'cryptosign' },
};

// admitted: the join succeeds with the identity the realm's config gives.
async function admitted(cfg) {
  const seen = [];
  const s = await h.joinWith(cfg, cfg.scenario, options(cfg.scenario, seen));
  const d = s.details;
  const got = { authid: d.authid, authrole: d.authrole, authmethod: d.authmethod, authprovider: d.authprovider, challenges: seen };
  const want = WANT[cfg.scenario];
  check(got.authid === want.authid && got.authrole === want.authrole && got.authmethod === want.authmethod,
    'join details ' + jsonLine(got) + ', want ' + jsonLine(want), got);
  return got;
}

// wrongSecret: the join fails with ABORT wamp.error.authentication_denied.
async function wrongSecret(cfg) {
  const seen = [];
  let joined;
  try {
    joined = await h.joinWith(cfg, cfg.scenario, options(cfg.scenario, seen));
  } catch (e) {
    if (e.closeReason !== 'closed' || !e.closeDetails) throw e;
    const got = { abort_reason: e.closeDetails.reason, abort_message: e.closeDetails.message, challenges: seen };
    check(got.abort_reason === 'wamp.error.authentication_denied',
      'ABORT reason ' + jsonLine(got.abort_reason) + ', want wamp.error.authentication_denied', got);
    return got;
  }
  check(false, 'join with a wrong secret succeeded: ' + jsonLine(joined.details));
  return null;
}

module.exports = {
  'auth-ticket': admitted,
  'auth-wampcra': admitted,
  'auth-wampcra-salted': admitted,
  'auth-cryptosign': admitted,
  'auth-wrong-secret': wrongSecret,
};
