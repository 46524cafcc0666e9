'use strict';
// The interop scenarios. Each takes cfg {url, realm, scenario, serializer},
// verifies what it receives itself, and resolves to the details printed in the
// result line (so the Go side can assert them too) or rejects with a precise
// message. Sessions are closed by the caller (scenario.js) in both cases.

const h = require('./harness.js');
const { autobahn, check, deepEqual, jsonLine, withTimeout, STEP_MS } = h;

const show = jsonLine;

// jsCalleeCaller: session A registers procedures, session B calls them.
async function jsCalleeCaller(cfg) {
  const a = await h.join(cfg, 'callee');
  const b = await h.join(cfg, 'caller');
  await withTimeout(a.register('com.example.js.mul', (args) => args[0] * args[1]),
    STEP_MS, 'register com.example.js.mul');
  await withTimeout(a.register('com.example.js.echo',
    (args, kwargs) => new autobahn.Result(args, kwargs)), STEP_MS, 'register com.example.js.echo');

  const mul = h.resultParts(await withTimeout(b.call('com.example.js.mul', [6, 7]),
    STEP_MS, 'call com.example.js.mul'));
  check(deepEqual(mul, { args: [42], kwargs: {} }),
    'com.example.js.mul([6,7]): got ' + show(mul) + ', want args [42]', { mul });

  const sentArgs = ['hello', 2, false, null, { nested: [1, 'two'] }];
  const sentKwargs = { greeting: 'hi', n: 3 };
  const echo = h.resultParts(await withTimeout(b.call('com.example.js.echo', sentArgs, sentKwargs),
    STEP_MS, 'call com.example.js.echo'));
  check(deepEqual(echo, { args: sentArgs, kwargs: sentKwargs }),
    'com.example.js.echo: got ' + show(echo) + ', want ' + show({ args: sentArgs, kwargs: sentKwargs }),
    { mul, echo });
  return { mul_result: mul.args[0], echo_args: echo.args, echo_kwargs: echo.kwargs };
}

// callGo: calls the router's embedded Go procedures.
async function callGo(cfg) {
  const s = await h.join(cfg, 'caller');
  const add = h.resultParts(await withTimeout(s.call('com.example.go.add', [2, 3]),
    STEP_MS, 'call com.example.go.add'));
  check(deepEqual(add, { args: [5], kwargs: {} }),
    'com.example.go.add([2,3]): got ' + show(add) + ', want args [5]', { add });

  const sentArgs = ['x', 1.5, true, null, { k: [1, 2] }];
  const sentKwargs = { a: 1 };
  const echo = h.resultParts(await withTimeout(s.call('com.example.go.echo', sentArgs, sentKwargs),
    STEP_MS, 'call com.example.go.echo'));
  check(deepEqual(echo, { args: sentArgs, kwargs: sentKwargs }),
    'com.example.go.echo: got ' + show(echo) + ', want ' + show({ args: sentArgs, kwargs: sentKwargs }),
    { add, echo });
  return { add_result: add.args[0], echo_args: echo.args, echo_kwargs: echo.kwargs };
}

// collector records the events of one subscription and lets a caller wait
// until a given number has arrived.
function collector() {
  const c = { events: [], waiters: [] };
  c.handler = (args, kwargs) => {
    c.events.push({ args: args || [], kwargs: kwargs || {} });
    c.waiters = c.waiters.filter((w) => {
      if (c.events.length < w.n) return true;
      w.resolve();
      return false;
    });
  };
  c.waitFor = (n, what) => withTimeout(new Promise((resolve) => {
    if (c.events.length >= n) resolve();
    else c.waiters.push({ n, resolve });
  }), STEP_MS, what);
  return c;
}

// values returns the single positional value of each event, checking that
// every event carried exactly one positional argument and no keywords.
function values(c, who) {
  return c.events.map((e, i) => {
    check(e.args.length === 1 && Object.keys(e.kwargs).length === 0,
      who + ' event #' + i + ': want exactly one positional arg and no kwargs, got ' + show(e),
      { events: c.events });
    return e.args[0];
  });
}

// pubsub: S and P subscribe; P publishes (acknowledged), then P makes the
// router's Go publisher publish to the same topic.
async function pubsub(cfg) {
  const topic = 'com.example.topic';
  const s = await h.join(cfg, 'subscriber');
  const p = await h.join(cfg, 'publisher');
  const sc = collector();
  const pc = collector();
  await withTimeout(s.subscribe(topic, sc.handler), STEP_MS, 'S subscribe');
  await withTimeout(p.subscribe(topic, pc.handler), STEP_MS, 'P subscribe');

  const pub = await withTimeout(p.publish(topic, ['from-js'], {}, { acknowledge: true }),
    STEP_MS, 'P publish (acknowledge)');
  check(pub && typeof pub.id === 'number' && pub.id > 0,
    'PUBLISHED: want a positive publication id, got ' + show(pub && pub.id));
  await withTimeout(p.call('com.example.go.publish', [topic, 'from-go']),
    STEP_MS, 'call com.example.go.publish');

  await sc.waitFor(2, () => 'S waiting for 2 events, got ' + show(sc.events));
  // Events to P are delivered in order, so once "from-go" has arrived a
  // "from-js" echo (a broken exclude_me) would already be in pc.events.
  await pc.waitFor(1, () => 'P waiting for the Go event, got ' + show(pc.events));
  const sGot = values(sc, 'S');
  const pGot = values(pc, 'P');
  const got = { s_received: sGot, p_received: pGot };
  check(deepEqual(sGot, ['from-js', 'from-go']),
    'S received ' + show(sGot) + ', want ["from-js","from-go"] in that order', got);
  check(deepEqual(pGot, ['from-go']),
    'P received ' + show(pGot) + ', want ["from-go"] only (exclude_me defaults to true)', got);
  return Object.assign({ publication: pub.id }, got);
}

// noSuchProcedure: calling an unregistered procedure must fail with the
// standard error URI.
async function noSuchProcedure(cfg) {
  const s = await h.join(cfg, 'caller');
  let res;
  try {
    res = await withTimeout(s.call('com.example.does.not.exist', ['a']), STEP_MS,
      'call com.example.does.not.exist');
  } catch (e) {
    if (!(e instanceof autobahn.Error)) throw e;
    const got = { error_uri: e.error, error_args: e.args, error_kwargs: e.kwargs };
    check(e.error === 'wamp.error.no_such_procedure',
      'error URI ' + show(e.error) + ', want "wamp.error.no_such_procedure"', got);
    return got;
  }
  check(false, 'call com.example.does.not.exist succeeded with ' + show(res) +
    ', want error wamp.error.no_such_procedure', { result: res });
  return null;
}

// selfcheck needs no router (url and realm are ignored): it checks that the
// installed client is the pinned one, that the WebSocket shim is in place and
// that the requested serializer round-trips a WAMP message.
async function selfcheck(cfg) {
  const pinned = require('./package.json').dependencies.autobahn;
  check(autobahn.version === pinned,
    'autobahn version ' + show(autobahn.version) + ', package.json pins ' + show(pinned));
  check(globalThis.WebSocket && globalThis.WebSocket.prototype instanceof require('ws'),
    'globalThis.WebSocket is not the ws-based shim');
  const ser = h.makeSerializer(cfg.serializer);
  const msg = [36, 5512315355, 4429313566, {}, ['x', 1.5, true, null, { k: [1, 2] }], { a: 1 }];
  let wire = await ser.serialize(msg);
  if (ser.BINARY) wire = new Uint8Array(wire).buffer; // what the transport hands over
  const back = ser.unserialize(wire);
  check(deepEqual(back, msg), cfg.serializer + ' round trip: got ' + show(back) + ', want ' + show(msg));
  return {
    autobahn_version: autobahn.version,
    node_version: process.versions.node,
    serializer_id: ser.SERIALIZER_ID,
    binary: ser.BINARY,
  };
}

module.exports = {
  'js-callee-caller': jsCalleeCaller,
  'call-go': callGo,
  pubsub,
  'no-such-procedure': noSuchProcedure,
  selfcheck,
};
