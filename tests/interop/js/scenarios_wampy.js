'use strict';
// The wampy.js interop scenarios (run by wampy_scenario.js, driven by
// wampy_test.go). wampy sends JavaScript `undefined` option values as
// msgpack ext type 0 and CBOR simple value 23; these scenarios exercise
// that with every request kind. Each scenario checks what it receives
// itself and resolves to details printed in the result line (the Go side
// asserts them again).

const WS = require('ws');
const { Wampy } = require('wampy');
const { JsonSerializer } = require('wampy/JsonSerializer.js');
const { MsgpackSerializer } = require('wampy/MsgpackSerializer.js');
const { CborSerializer } = require('wampy/CborSerializer.js');
const h = require('./harness.js');
const { check, deepEqual, jsonLine, withTimeout, STEP_MS } = h;

const show = jsonLine;
// wampy's package exports hide package.json; read it from the install.
const version = JSON.parse(require('fs').readFileSync(require('path').join(__dirname, 'node_modules', 'wampy', 'package.json'), 'utf8')).version;

const SERIALIZERS = { json: JsonSerializer, msgpack: MsgpackSerializer, cbor: CborSerializer };

function makeSerializer(name) {
  const Ctor = SERIALIZERS[name];
  if (!Ctor) throw new Error('unknown serializer ' + show(name) + ' (want json|msgpack|cbor)');
  return new Ctor();
}

// errText describes a wampy error (a WampError carries the WAMP error URI
// as errorUri) or any other thrown value.
function errText(e) {
  if (e && typeof e.errorUri === 'string') {
    return e.name + ' ' + e.errorUri + ' args=' + show(e.argsList) + ' kwargs=' + show(e.argsDict);
  }
  return h.errText(e);
}

const clients = [];

// join connects one wampy session offering only cfg.serializer and checks
// that it was the one negotiated. A connection lost later, without us
// closing it, fails the whole scenario.
async function join(cfg, label, serializer) {
  const ser = serializer || cfg.serializer;
  const entry = { label, closing: false, client: null };
  const client = new Wampy(cfg.url, {
    realm: cfg.realm,
    ws: WS,
    serializer: makeSerializer(ser),
    payloadSerializers: { json: new JsonSerializer(), msgpack: new MsgpackSerializer(), cbor: new CborSerializer() },
    autoReconnect: false,
    onClose: () => {
      if (!entry.closing) h.fail(label + ': connection closed unexpectedly');
    },
    onError: (e) => {
      if (!entry.closing) h.fail(label + ': ' + errText(e));
    },
  });
  entry.client = client;
  clients.push(entry);
  await withTimeout(client.connect(), STEP_MS, label + ' join');
  const protocol = client._ws && client._ws.protocol;
  const want = 'wamp.2.' + ser;
  if (protocol !== want) {
    throw new Error(label + ': negotiated subprotocol ' + show(protocol) + ', want ' + want);
  }
  return client;
}

// closeAll says GOODBYE on every joined session and waits (bounded) for the
// router's GOODBYE.
async function closeAll(ms) {
  const waits = [];
  for (const e of clients) {
    if (e.closing || !e.client.getSessionId()) continue;
    e.closing = true;
    waits.push(e.client.disconnect());
  }
  await withTimeout(Promise.all(waits), ms || STEP_MS, 'closing sessions');
}

function step(p, what) {
  return withTimeout(p, STEP_MS, what);
}

// failure resolves to the error URI that p rejects with (null if it
// resolves).
async function failure(p, what) {
  try {
    await step(p, what);
  } catch (e) {
    if (e && typeof e.errorUri === 'string') return e.errorUri;
    throw e;
  }
  return null;
}

// wampyRPC: a wampy callee and a wampy caller; plain, echo (args and kwargs),
// Go procedures, progressive results from Go, cancel (skip mode: wampy's
// callee does not announce call_canceling, so the router answers the caller
// at once and discards the callee's late YIELD), and an unknown procedure.
async function wampyRPC(cfg) {
  const p = 'com.example.wampy.' + cfg.serializer + '.';
  const callee = await join(cfg, 'callee');
  const caller = await join(cfg, 'caller');

  await step(callee.register(p + 'mul', ({ argsList }) => argsList[0] * argsList[1]), 'register mul');
  await step(callee.register(p + 'echo', ({ argsList, argsDict }) => ({ argsList, argsDict })), 'register echo');
  let invoked = null;
  const slowInvoked = new Promise((resolve) => { invoked = resolve; });
  let release = null;
  const released = new Promise((resolve) => { release = resolve; });
  await step(callee.register(p + 'slow', async () => {
    invoked();
    await released;
    return 'late';
  }), 'register slow');

  const mul = await step(caller.call(p + 'mul', [6, 7]), 'call mul');
  check(deepEqual(mul.argsList, [42]), 'mul([6,7]) = ' + show(mul), { mul });

  const args = ['hello', 2, false, null, { nested: [1, 'two'] }];
  const kwargs = { greeting: 'hi', n: 3 };
  const echo = await step(caller.call(p + 'echo', { argsList: args, argsDict: kwargs }), 'call echo');
  check(deepEqual(echo.argsList, args) && deepEqual(echo.argsDict, kwargs),
    'echo = ' + show(echo) + ', want ' + show({ args, kwargs }), { echo });

  const goEcho = await step(caller.call('com.example.go.echo', { argsList: ['x', 1.5], argsDict: { a: 1 } }),
    'call com.example.go.echo');
  check(deepEqual(goEcho.argsList, ['x', 1.5]) && deepEqual(goEcho.argsDict, { a: 1 }),
    'com.example.go.echo = ' + show(goEcho), { goEcho });

  const reports = [];
  const final = await step(caller.call('com.example.go.progress', [4], {
    progress_callback: (r) => reports.push(r.argsList[0]),
  }), () => 'progressive call, reports so far ' + show(reports));
  check(deepEqual(reports, [1, 2, 3, 4]) && deepEqual(final.argsList, ['done']),
    'progressive: reports ' + show(reports) + ' then ' + show(final) + ', want [1,2,3,4] then ["done"]');

  const pending = caller.call(p + 'slow');
  const reqId = caller.getOpStatus().reqId;
  await step(slowInvoked, 'invocation of slow');
  check(caller.cancel(reqId) === true, 'cancel returned false');
  const canceled = await failure(pending, 'canceled call');
  release();
  // The late YIELD is discarded; the session goes on working.
  const after = await step(caller.call(p + 'mul', [2, 3]), 'call mul after cancel');
  check(deepEqual(after.argsList, [6]), 'mul after cancel = ' + show(after));

  const noProc = await failure(caller.call(p + 'missing'), 'call missing');
  return {
    mul: mul.argsList[0], echo_args: echo.argsList, echo_kwargs: echo.argsDict, go_echo: goEcho.argsList,
    progress: reports, final: final.argsList[0], canceled, after_cancel: after.argsList[0], no_such_procedure: noProc,
  };
}

// events collects the events of one subscription and lets the scenario wait
// for a count.
function events(label) {
  const c = { got: [], want: 0, done: null };
  c.handler = ({ argsList, argsDict, details }) => {
    c.got.push({ args: argsList || [], kwargs: argsDict || {}, topic: details && details.topic });
    if (c.done && c.got.length >= c.want) c.done();
  };
  c.wait = (n) => {
    c.want = n;
    const p = new Promise((resolve) => {
      c.done = resolve;
      if (c.got.length >= n) resolve();
    });
    return step(p, () => label + ': ' + n + ' events, got ' + show(c.got));
  };
  return c;
}

// wampyPubSub: exact, prefix and wildcard subscriptions of a wampy
// subscriber; publications from a wampy publisher (acknowledged) and from
// Go; unsubscribe.
async function wampyPubSub(cfg) {
  const p = 'com.example.wampy.' + cfg.serializer + '.';
  const sub = await join(cfg, 'subscriber');
  const pub = await join(cfg, 'publisher');
  const exact = events('exact');
  const prefix = events('prefix');
  const wildcard = events('wildcard');
  const s1 = await step(sub.subscribe(p + 'news.item', exact.handler), 'subscribe exact');
  await step(sub.subscribe(p + 'news', prefix.handler, { match: 'prefix' }), 'subscribe prefix');
  await step(sub.subscribe(p + '.item', wildcard.handler, { match: 'wildcard' }), 'subscribe wildcard');

  const published = await step(pub.publish(p + 'news.item', { argsList: ['from-wampy'], argsDict: { k: 1 } }),
    'publish news.item');
  // msgpackr (wampy's msgpack) decodes every uint64-format integer as a
  // BigInt, and the router's IDs above 2^32 are uint64 on the wire.
  const pubID = published.publicationId;
  check(Number.isInteger(pubID) || typeof pubID === 'bigint', 'PUBLISHED without a publication ID: ' + show(published));
  await step(pub.call('com.example.go.publish', [p + 'news.item', 'from-go']), 'call com.example.go.publish');
  await step(pub.publish(p + 'news.other', ['prefix-only']), 'publish news.other');
  await exact.wait(2);
  await prefix.wait(3);
  await wildcard.wait(2);
  const firstArgs = (c) => c.got.map((e) => e.args[0]).sort();
  check(deepEqual(firstArgs(exact), ['from-go', 'from-wampy']), 'exact got ' + show(exact.got));
  check(deepEqual(firstArgs(prefix), ['from-go', 'from-wampy', 'prefix-only']), 'prefix got ' + show(prefix.got));
  check(deepEqual(firstArgs(wildcard), ['from-go', 'from-wampy']), 'wildcard got ' + show(wildcard.got));
  const result = { exact: firstArgs(exact), prefix: firstArgs(prefix), wildcard: firstArgs(wildcard) };
  const fromWampy = exact.got.find((e) => e.args[0] === 'from-wampy');
  check(deepEqual(fromWampy.kwargs, { k: 1 }), 'kwargs of the event: ' + show(fromWampy));
  const prefixTopics = prefix.got.map((e) => e.topic).sort();
  check(deepEqual(prefixTopics, [p + 'news.item', p + 'news.item', p + 'news.other']),
    'prefix events name their topics: ' + show(prefixTopics));

  await step(sub.unsubscribe(s1.subscriptionId), 'unsubscribe exact');
  await step(pub.publish(p + 'news.item', ['after-unsubscribe']), 'publish after unsubscribe');
  await prefix.wait(4);
  check(exact.got.length === 2, 'exact subscription got an event after UNSUBSCRIBE: ' + show(exact.got));
  return Object.assign(result, { event_kwargs: fromWampy.kwargs, prefix_topics: prefixTopics });
}

// wampyPPT: payload passthru mode between two wampy sessions through the
// router, which forwards the payload untouched: with msgpack and CBOR
// sessions the payload is end-to-end CBOR (ppt_scheme "wamp"); with JSON,
// which has no native bytes in wampy, a custom scheme with the "native"
// serializer. A call (both ways in passthru mode) and a publication.
async function wampyPPT(cfg) {
  const p = 'com.example.wampy.' + cfg.serializer + '.ppt.';
  const opts = cfg.serializer === 'json'
    ? { ppt_scheme: 'x_switchboard', ppt_serializer: 'native' }
    : { ppt_scheme: 'wamp', ppt_serializer: 'cbor' };
  const callee = await join(cfg, 'ppt-callee');
  const caller = await join(cfg, 'ppt-caller');
  let invDetails = null;
  await step(callee.register(p + 'echo', ({ argsList, argsDict, details }) => {
    invDetails = details;
    return { argsList: argsList.concat(['back']), argsDict, options: Object.assign({}, opts) };
  }), 'register ppt echo');
  const res = await step(caller.call(p + 'echo', { argsList: ['secret', 7], argsDict: { k: 'v' } }, Object.assign({}, opts)),
    'call ppt echo');
  check(deepEqual(res.argsList, ['secret', 7, 'back']) && deepEqual(res.argsDict, { k: 'v' }),
    'ppt echo = ' + show({ args: res.argsList, kwargs: res.argsDict }), { res });
  check(invDetails && invDetails.ppt_scheme === opts.ppt_scheme && invDetails.ppt_serializer === opts.ppt_serializer,
    'INVOCATION details ' + show(invDetails) + ', want ' + show(opts));
  check(res.details && res.details.ppt_scheme === opts.ppt_scheme, 'RESULT details ' + show(res.details));

  const got = events('ppt subscriber');
  await step(callee.subscribe(p + 'news', got.handler), 'subscribe ppt news');
  await step(caller.publish(p + 'news', { argsList: ['opaque'], argsDict: { n: 1 } }, Object.assign({}, opts)),
    'publish ppt news');
  await got.wait(1);
  check(deepEqual(got.got[0].args, ['opaque']) && deepEqual(got.got[0].kwargs, { n: 1 }),
    'ppt event ' + show(got.got));
  return { ppt_scheme: opts.ppt_scheme, echo_args: res.argsList, echo_kwargs: res.argsDict, event_args: got.got[0].args };
}

module.exports = {
  version, makeSerializer, errText, closeAll, join, step, failure, events,
  scenarios: {
    'wampy-rpc': wampyRPC,
    'wampy-pubsub': wampyPubSub,
    'wampy-ppt': wampyPPT,
  },
};
