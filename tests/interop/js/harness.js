'use strict';
// Helpers shared by the interop scenarios (see scenario.js): result line,
// timeouts, deep equality, session open/close through autobahn-js.

const autobahn = require('autobahn');

// Keep stdout for the single result line.
console.log = (...a) => console.error(...a);
console.info = (...a) => console.error(...a);

const TIMEOUT_MS = Number(process.env.INTEROP_TIMEOUT_MS) > 0
  ? Number(process.env.INTEROP_TIMEOUT_MS) : 15000;
// One protocol step (join, call, wait for events) gets at most STEP_MS, less
// than the whole budget, so a stuck step is named in the failure.
const STEP_MS = Math.min(5000, Math.floor(TIMEOUT_MS / 2));

const SERIALIZERS = {
  json: 'JSONSerializer',
  msgpack: 'MsgpackSerializer',
  cbor: 'CBORSerializer',
};

let finished = false;
const connections = [];
let lastWsError = null;

// noteWsError records (and logs) a WebSocket-level error, such as a refused
// connection or a rejected handshake, so that a close reported by autobahn
// can say why.
function noteWsError(e) {
  lastWsError = e && e.message ? e.message : String(e);
  console.error('ws error: ' + lastWsError);
}

function jsonLine(obj) {
  return JSON.stringify(obj, (k, v) => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Map) return Object.fromEntries(v);
    if (v === undefined) return null;
    return v;
  });
}

// finish prints the one result line and exits. Only the first call counts.
function finish(result) {
  if (finished) return;
  finished = true;
  const code = result.ok === true ? 0 : 1;
  let line;
  try {
    line = jsonLine(result);
  } catch (e) {
    line = jsonLine({ ok: false, error: 'cannot encode result: ' + e.message });
  }
  process.stdout.write(line + '\n', () => process.exit(code));
}

function fail(msg, extra) {
  finish(Object.assign({ ok: false, error: String(msg) }, extra || {}));
}

// withTimeout rejects with a message naming the step if p is not settled in
// ms. what is a string or a function evaluated when the timeout fires.
function withTimeout(p, ms, what) {
  let t;
  const guard = new Promise((_, reject) => {
    t = setTimeout(() => {
      const label = typeof what === 'function' ? what() : what;
      reject(new Error('timeout after ' + ms + 'ms: ' + label));
    }, ms);
  });
  return Promise.race([Promise.resolve(p), guard]).finally(() => clearTimeout(t));
}

function errText(e) {
  if (e instanceof autobahn.Error) {
    return 'WAMP error ' + e.error + ' args=' + jsonLine(e.args) + ' kwargs=' + jsonLine(e.kwargs);
  }
  if (e instanceof Error) return e.message;
  return typeof e === 'string' ? e : jsonLine(e);
}

function deepEqual(a, b) {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return deepEqual(ka, kb) && ka.every((k) => deepEqual(a[k], b[k]));
}

// resultParts normalises what session.call resolves to: a bare value for a
// single positional result, an autobahn.Result otherwise, null for none.
function resultParts(res) {
  if (res instanceof autobahn.Result) return { args: res.args, kwargs: res.kwargs };
  if (res === null || res === undefined) return { args: [], kwargs: {} };
  return { args: [res], kwargs: {} };
}

function makeSerializer(name) {
  const cls = SERIALIZERS[name];
  if (!cls) throw new Error('unknown serializer ' + jsonLine(name) + ' (want json|msgpack|cbor)');
  const Ctor = autobahn.serializer[cls];
  if (typeof Ctor !== 'function') throw new Error('autobahn.serializer.' + cls + ' is not available');
  return new Ctor();
}

// openSession connects one autobahn session and resolves with {session,
// protocol, details} (details: the join details, from WELCOME) when it has
// joined. opts are extra autobahn.Connection options (authid, authmethods,
// authextra, onchallenge). A connection that closes before joining rejects
// with the close reason (the Error carries closeReason and closeDetails:
// autobahn's onclose arguments, with the router's ABORT reason in
// closeDetails.reason); one that is lost later, without us closing it, fails
// the whole scenario.
function openSession(cfg, label, opts) {
  return new Promise((resolve, reject) => {
    const conn = new autobahn.Connection(Object.assign({
      url: cfg.url,
      realm: cfg.realm,
      serializers: [makeSerializer(cfg.serializer)],
      use_es6_promises: true,
      max_retries: 0,
      retry_if_unreachable: false,
    }, opts || {}));
    const entry = { conn, label, joined: false, closing: false, closed: null };
    entry.closed = new Promise((resolveClosed) => {
      conn.onclose = (reason, details) => {
        const why = label + ': connection ' + reason + ' ' + jsonLine(details || {}) +
          (lastWsError ? ' (ws error: ' + lastWsError + ')' : '');
        resolveClosed(why);
        if (!entry.joined) {
          const e = new Error(why);
          e.closeReason = reason;
          e.closeDetails = details || {};
          reject(e);
        }
        else if (!entry.closing) fail('unexpected close: ' + why);
        return true; // never reconnect
      };
    });
    conn.onopen = (session, details) => {
      entry.joined = true;
      const protocol = conn.transport && conn.transport.info ? conn.transport.info.protocol : null;
      resolve({ session, protocol, details: details || {} });
    };
    connections.push(entry);
    conn.open();
  });
}

// closeAll leaves every joined session and waits (bounded) for the closes.
async function closeAll(ms) {
  const waits = [];
  for (const e of connections) {
    if (!e.joined || e.closing) continue;
    e.closing = true;
    try {
      e.conn.close('wamp.close.normal', 'interop scenario done');
    } catch (err) {
      continue; // already closed
    }
    waits.push(e.closed);
  }
  await withTimeout(Promise.all(waits), ms || STEP_MS, 'closing sessions');
}

// join opens a session and checks that the requested serializer was the one
// negotiated (only one is offered, so anything else is a router bug).
async function join(cfg, label) {
  return (await joinWith(cfg, label)).session;
}

// joinWith is join with extra Connection options (see openSession); it
// resolves with {session, protocol, details}.
async function joinWith(cfg, label, opts) {
  const s = await withTimeout(openSession(cfg, label, opts), STEP_MS, label + ' join');
  const want = 'wamp.2.' + cfg.serializer;
  if (s.protocol !== want) {
    throw new Error(label + ': negotiated subprotocol ' + jsonLine(s.protocol) + ', want ' + want);
  }
  return s;
}

// check throws an Error carrying `got` as details (reported in the failure
// line) when cond is false.
function check(cond, msg, got) {
  if (cond) return;
  const e = new Error(msg);
  if (got !== undefined) e.details = got;
  throw e;
}

module.exports = {
  autobahn, finish, fail, withTimeout, errText, deepEqual, resultParts,
  join, joinWith, closeAll, check, jsonLine, makeSerializer, noteWsError, STEP_MS, TIMEOUT_MS,
};

