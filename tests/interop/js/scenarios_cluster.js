'use strict';
// Scenarios of a cluster of two nodes (cluster_test.go): the scenario's
// URL is node A, INTEROP_PEER_URL node B. Node B serves the Go procedure
// com.example.cluster.hello; node A com.example.cluster.add.

const h = require('./harness.js');
const { check, jsonLine, withTimeout, STEP_MS } = h;

const show = jsonLine;

// retry runs f until it resolves, for at most STEP_MS: what one node
// announces reaches the other through NATS, a moment later.
async function retry(f, what) {
  const deadline = Date.now() + STEP_MS;
  let last;
  for (;;) {
    try {
      return await f();
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(what + ': ' + h.errText(last));
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function peer(cfg) {
  const url = process.env.INTEROP_PEER_URL;
  if (!url) throw new Error('INTEROP_PEER_URL is not set');
  return Object.assign({}, cfg, { url });
}

// clusterAcross: a subscriber on node B receives a publication made on
// node A, and a caller on node A calls the Go procedure of node B.
async function clusterAcross(cfg) {
  const onB = await h.join(peer(cfg), 'subscriber on B');
  const onA = await h.join(cfg, 'caller on A');
  const topic = 'com.example.cluster.news.' + cfg.serializer;
  let got = null;
  let delivered = null;
  const arrived = new Promise((resolve) => { delivered = resolve; });
  await withTimeout(onB.subscribe(topic, (args, kwargs, details) => {
    got = { args, kwargs, publication: details.publication };
    delivered();
  }), STEP_MS, 'subscribe on B');
  // Published until it arrives: events published before A learns of B's
  // subscription are not forwarded to B.
  const pub = await retry(async () => {
    const p = await withTimeout(onA.publish(topic, ['from A', 42], { k: 'v' }, { acknowledge: true }), STEP_MS, 'publish on A');
    await withTimeout(arrived, 200, 'the event on B');
    return p;
  }, 'publication from A to B');
  check(got.args[0] === 'from A' && got.args[1] === 42 && got.kwargs.k === 'v' && got.publication === pub.id,
    'event on B ' + show(got) + ', want ["from A", 42] {k: v} of publication ' + pub.id, { got });
  const res = await retry(() => withTimeout(onA.call('com.example.cluster.hello', ['js']), STEP_MS, 'call'),
    'call from A to B\'s Go procedure');
  check(res === 'hello js from node B', 'com.example.cluster.hello = ' + show(res), { res });
  return { event: got.args, hello: res };
}

// clusterGone: node B was killed: calling its procedure from node A fails
// cleanly with a WAMP error, and node A keeps serving.
async function clusterGone(cfg) {
  const onA = await h.join(cfg, 'caller on A');
  let err = null;
  try {
    await withTimeout(onA.call('com.example.cluster.hello', ['js']), STEP_MS, 'call B\'s procedure');
  } catch (e) {
    err = e.error || h.errText(e);
  }
  check(err === 'wamp.error.no_such_procedure', 'calling the procedure of the dead node: ' + show(err) +
    ', want wamp.error.no_such_procedure');
  const sum = await withTimeout(onA.call('com.example.cluster.add', [2, 3]), STEP_MS, 'call A\'s procedure');
  check(sum === 5, 'com.example.cluster.add(2, 3) = ' + show(sum));
  return { error: err, sum };
}

module.exports = {
  'cluster-across': clusterAcross,
  'cluster-gone': clusterGone,
};
