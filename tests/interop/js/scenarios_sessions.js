'use strict';
// Scenarios of the server-side session API: the router's authentication
// hook refusing and admitting autobahn-js clients, and an event the Go
// application sends to one session only. The Go side (sessions_test.go)
// configures the realms and procedures they need; see the README.

const h = require('./harness.js');
const { check, jsonLine, withTimeout, STEP_MS } = h;

const show = jsonLine;

// The realm "interop.auth" challenges every HELLO with method "ticket" and
// admits authid "js-user" with ticket "js-secret" only.
function ticketOptions(authid, ticket, seen) {
  return {
    authid,
    authmethods: ['ticket'],
    onchallenge: (session, method, extra) => {
      seen.push({ method, extra });
      return ticket;
    },
  };
}

// authAbort: a wrong ticket; the join must fail with the router's ABORT
// reason wamp.error.authentication_denied (not a transport failure).
async function authAbort(cfg) {
  const challenges = [];
  let joined;
  try {
    joined = await h.joinWith(cfg, 'intruder', ticketOptions('js-user', 'wrong', challenges));
  } catch (e) {
    if (e.closeReason !== 'closed' || !e.closeDetails) throw e; // unreachable, lost: not an ABORT
    const got = {
      close_reason: e.closeReason,
      abort_reason: e.closeDetails.reason,
      abort_message: e.closeDetails.message,
      challenges,
    };
    check(got.abort_reason === 'wamp.error.authentication_denied',
      'ABORT reason ' + show(got.abort_reason) + ', want "wamp.error.authentication_denied"', got);
    check(challenges.length === 1 && challenges[0].method === 'ticket',
      'challenges ' + show(challenges) + ', want one "ticket" challenge', got);
    return got;
  }
  check(false, 'join with a wrong ticket succeeded with ' + show(joined.details) +
    ', want ABORT wamp.error.authentication_denied');
  return null;
}

// authAdmit: the right ticket; the join details carry the identity the
// authentication hook chose.
async function authAdmit(cfg) {
  const challenges = [];
  const s = await h.joinWith(cfg, 'member', ticketOptions('js-user', 'js-secret', challenges));
  const d = s.details;
  const got = {
    session: s.session.id,
    authid: d.authid,
    authrole: d.authrole,
    authmethod: d.authmethod,
    authprovider: d.authprovider,
    authextra: d.authextra,
    challenges: challenges.map((c) => c.method),
  };
  check(got.authid === 'js-user' && got.authrole === 'js-role' && got.authmethod === 'ticket',
    'join details ' + show(got) + ', want authid js-user, authrole js-role, authmethod ticket', got);
  check(d.authextra && d.authextra.greeting === 'hello js-user',
    'authextra ' + show(d.authextra) + ', want {"greeting":"hello js-user"}', got);
  return got;
}

// events collects the positional values of one subscription's events.
function events() {
  const c = { values: [], waiters: [] };
  c.handler = (args) => {
    c.values.push(args && args.length === 1 ? args[0] : { unexpected: args });
    c.waiters = c.waiters.filter((w) => {
      if (c.values.length < w.n) return true;
      w.resolve();
      return false;
    });
  };
  c.waitFor = (n, what) => withTimeout(new Promise((resolve) => {
    if (c.values.length >= n) resolve();
    else c.waiters.push({ n, resolve });
  }), STEP_MS, what);
  return c;
}

// serverEvent: A and B subscribe to the same topic; A calls the Go
// procedure com.example.go.send_to_me [topic, value], which sends value to
// A's session alone (Session.SendEvent) and then publishes "for everyone".
// Events of one subscription arrive in order, so B's first event being
// "for everyone" proves the private one did not reach it.
async function serverEvent(cfg) {
  const topic = 'com.example.interop.private';
  const a = await h.join(cfg, 'A');
  const b = await h.join(cfg, 'B');
  const ac = events();
  const bc = events();
  await withTimeout(a.subscribe(topic, ac.handler), STEP_MS, 'A subscribe');
  await withTimeout(b.subscribe(topic, bc.handler), STEP_MS, 'B subscribe');
  await withTimeout(a.call('com.example.go.send_to_me', [topic, 'only for A']), STEP_MS,
    'call com.example.go.send_to_me');
  await ac.waitFor(2, () => 'A waiting for 2 events, got ' + show(ac.values));
  await bc.waitFor(1, () => 'B waiting for 1 event, got ' + show(bc.values));
  const got = { a_received: ac.values, b_received: bc.values };
  check(h.deepEqual(ac.values, ['only for A', 'for everyone']),
    'A received ' + show(ac.values) + ', want ["only for A","for everyone"]', got);
  check(h.deepEqual(bc.values, ['for everyone']),
    'B received ' + show(bc.values) + ', want ["for everyone"] only', got);
  return got;
}

module.exports = {
  'auth-abort': authAbort,
  'auth-admit': authAdmit,
  'server-event': serverEvent,
};
