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

// The realm of examples/secured/switchboard.yaml: anonymous sessions (role
// public) may only call and subscribe under com.example.public.; users
// (role member) joining by ticket, salted WAMP-CRA or cryptosign may
// register, publish, call and subscribe under com.example. and nothing
// else. The Go side (cmd/switchboard/secured_test.go) serves that file with
// these credentials and registers com.example.public.time.
const SECURED = {
  'secured-anonymous': { role: 'public', method: 'anonymous', opts: () => ({}) },
  'secured-ticket': { authid: 'alice', role: 'member', method: 'ticket',
    opts: () => ({ authid: 'alice', authmethods: ['ticket'], onchallenge: () => 'secured-alice-ticket' }) },
  'secured-wampcra-salted': { authid: 'bob', role: 'member', method: 'wampcra',
    opts: () => ({ authid: 'bob', authmethods: ['wampcra'],
      onchallenge: (s, method, extra) => {
        const key = autobahn.auth_cra.derive_key('secured-bob-password', extra.salt, extra.iterations, extra.keylen);
        return autobahn.auth_cra.sign(key, extra.challenge);
      } }) },
  'secured-cryptosign': { authid: 'sensor-1', role: 'member', method: 'cryptosign',
    opts: () => {
      const pair = autobahn.nacl.sign.keyPair.fromSeed(hexToBytes(SEED_HEX));
      return { authid: 'sensor-1', authmethods: ['cryptosign'],
        authextra: { pubkey: autobahn.auth_cryptosign.public_key(pair) },
        onchallenge: (s, method, extra) => autobahn.auth_cryptosign.sign_challenge(pair, extra) };
    } },
};

// outcome runs one action and says "ok" or the WAMP error URI it got.
async function outcome(what, p) {
  try {
    await h.withTimeout(p, h.STEP_MS, what);
    return 'ok';
  } catch (e) {
    if (e instanceof autobahn.Error) return e.error;
    throw e;
  }
}

// secured: join the example's realm, then try what the role allows and
// what it does not; every outcome is checked here and reported.
async function secured(cfg) {
  const want = SECURED[cfg.scenario];
  const { session: s, details: d } = await h.joinWith(cfg, cfg.scenario, want.opts());
  const got = { authid: d.authid, authrole: d.authrole, authmethod: d.authmethod, actions: {} };
  check(got.authrole === want.role && got.authmethod === want.method && (!want.authid || got.authid === want.authid),
    'join details ' + jsonLine(got) + ', want ' + jsonLine(want), got);
  const ack = { acknowledge: true };
  const tries = {
    'call com.example.public.time': () => s.call('com.example.public.time'),
    'subscribe com.example.public.news': () => s.subscribe('com.example.public.news', () => {}),
    'publish com.example.public.news': () => s.publish('com.example.public.news', ['js'], {}, ack),
    'register com.example.public.js': () => s.register('com.example.public.js.' + cfg.scenario + '.' + cfg.serializer, () => 'js'),
    'call com.example.private.echo': () => s.call('com.example.private.echo', ['js']),
    'register org.other.proc': () => s.register('org.other.proc.' + cfg.scenario, () => 'js'),
    'publish org.other.news': () => s.publish('org.other.news', [], {}, ack),
  };
  const denied = 'wamp.error.not_authorized';
  const expect = want.role === 'member' ? {
    'call com.example.public.time': 'ok', 'subscribe com.example.public.news': 'ok',
    'publish com.example.public.news': 'ok', 'register com.example.public.js': 'ok',
    'call com.example.private.echo': 'ok', 'register org.other.proc': denied, 'publish org.other.news': denied,
  } : {
    'call com.example.public.time': 'ok', 'subscribe com.example.public.news': 'ok',
    'publish com.example.public.news': denied, 'register com.example.public.js': denied,
    'call com.example.private.echo': denied, 'register org.other.proc': denied, 'publish org.other.news': denied,
  };
  for (const [name, f] of Object.entries(tries)) {
    got.actions[name] = await outcome(name, f());
  }
  check(h.deepEqual(got.actions, expect), 'actions ' + jsonLine(got.actions) + ', want ' + jsonLine(expect), got);
  return got;
}

// securedWrongTicket: alice with a wrong ticket gets ABORT
// wamp.error.authentication_denied.
async function securedWrongTicket(cfg) {
  try {
    const s = await h.joinWith(cfg, cfg.scenario, { authid: 'alice', authmethods: ['ticket'], onchallenge: () => 'not-the-ticket' });
    check(false, 'join with a wrong ticket succeeded: ' + jsonLine(s.details));
  } catch (e) {
    if (e.closeReason !== 'closed' || !e.closeDetails) throw e;
    const got = { abort_reason: e.closeDetails.reason, abort_message: e.closeDetails.message };
    check(got.abort_reason === 'wamp.error.authentication_denied',
      'ABORT reason ' + jsonLine(got.abort_reason) + ', want wamp.error.authentication_denied', got);
    return got;
  }
  return null;
}

module.exports = {
  'secured-anonymous': secured,
  'secured-ticket': secured,
  'secured-wampcra-salted': secured,
  'secured-cryptosign': secured,
  'secured-wrong-ticket': securedWrongTicket,
  'auth-ticket': admitted,
  'auth-wampcra': admitted,
  'auth-wampcra-salted': admitted,
  'auth-cryptosign': admitted,
  'auth-wrong-secret': wrongSecret,
};
