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

// progressDeferred is a deferred factory for autobahn's documented
// use_deferred option: native promises, plus the jQuery-style notify /
// progress pair autobahn needs to report progressive results (its ES6
// deferreds have no notify). promise.progress(fn) registers a listener and
// returns the promise.
function progressDeferred() {
  const d = { listeners: [] };
  d.promise = new Promise((resolve, reject) => {
    d.resolve = resolve;
    d.reject = reject;
  });
  d.notify = (v) => d.listeners.forEach((fn) => fn(v));
  d.promise.progress = (fn) => {
    d.listeners.push(fn);
    return d.promise;
  };
  return d;
}

// expectError runs a call that must fail with a WAMP error and returns
// {error_uri, error_args, error_kwargs}.
async function expectError(p, what) {
  let res;
  try {
    res = await withTimeout(p, STEP_MS, what);
  } catch (e) {
    if (!(e instanceof autobahn.Error)) throw e;
    return { error_uri: e.error, error_args: e.args, error_kwargs: e.kwargs };
  }
  check(false, what + ' succeeded with ' + show(res) + ', want a WAMP error', { result: res });
  return null;
}

// callGoTyped calls the router's typed Go procedures (core.Func2, core.Bind,
// core.SessionFrom, a regular-expression route) with positional arguments
// and kwargs, and checks the invalid_argument error of a mistyped argument.
async function callGoTyped(cfg) {
  const s = await h.join(cfg, 'caller');
  const call = (proc, args, kwargs) => withTimeout(s.call(proc, args, kwargs), STEP_MS, 'call ' + proc);
  const byName = await call('com.example.go.typed.add', [], { a: 2, b: 3 });
  check(byName === 5, 'typed.add(a=2, b=3): got ' + show(byName) + ', want 5', { byName });
  const byPos = await call('com.example.go.typed.add', [40, 2]);
  check(byPos === 42, 'typed.add(40, 2): got ' + show(byPos) + ', want 42', { byPos });
  const greet = h.resultParts(await call('com.example.go.typed.greet', [], { name: 'Ada' }));
  check(deepEqual(greet, { args: [], kwargs: { greeting: 'Hello, Ada!' } }),
    'typed.greet(name=Ada): got ' + show(greet) + ', want kwargs {greeting: "Hello, Ada!"}', { greet });
  const who = h.resultParts(await call('com.example.go.whoami'));
  check(who.kwargs.session === s.id, 'whoami: got ' + show(who) + ', want session ' + s.id, { who });
  const item = h.resultParts(await call('com.example.go.item.77'));
  check(deepEqual(item.kwargs, { id: '77' }), 'item.77: got ' + show(item) + ', want kwargs {id: "77"}', { item });

  const bad = await expectError(s.call('com.example.go.typed.add', [], { a: 1, b: 'x' }),
    'call com.example.go.typed.add(a=1, b="x")');
  const wantMsg = 'argument "b" (position 2): want integer, got string';
  check(bad.error_uri === 'wamp.error.invalid_argument' && deepEqual(bad.error_args, [wantMsg]),
    'typed.add(a=1, b="x"): got ' + show(bad) + ', want wamp.error.invalid_argument [' + show(wantMsg) + ']', bad);
  return {
    add_kwargs: byName, add_args: byPos, greeting: greet.kwargs.greeting, whoami_is_self: who.kwargs.session === s.id,
    item_id: item.kwargs.id, invalid_uri: bad.error_uri, invalid_args: bad.error_args,
  };
}

// callGoProgressive calls the router's progressive Go procedure with
// receive_progress (each report reaches a progress callback, in order,
// before the final result) and without (only the final result).
async function callGoProgressive(cfg) {
  const s = (await h.joinWith(cfg, 'caller', { use_es6_promises: false, use_deferred: progressDeferred })).session;
  const reports = [];
  const p = s.call('com.example.go.progress', [4], {}, { receive_progress: true });
  p.progress((v) => reports.push(v));
  const final = await withTimeout(p, STEP_MS, () => 'progressive call, reports so far ' + show(reports));
  check(deepEqual(reports, [1, 2, 3, 4]) && final === 'done',
    'progress: got reports ' + show(reports) + ' then ' + show(final) + ', want [1,2,3,4] then "done"', { reports, final });

  const quiet = [];
  const q = s.call('com.example.go.progress', [3]);
  q.progress((v) => quiet.push(v));
  const plain = await withTimeout(q, STEP_MS, 'call without receive_progress');
  check(plain === 'done' && quiet.length === 0,
    'without receive_progress: got ' + show(quiet) + ' then ' + show(plain) + ', want no reports then "done"', { quiet, plain });
  return { progress: reports, final, plain_final: plain, plain_reports: quiet.length };
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
  'call-go-typed': callGoTyped,
  'call-go-progressive': callGoProgressive,
  selfcheck,
};
