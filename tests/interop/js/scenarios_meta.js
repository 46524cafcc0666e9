'use strict';
// Scenarios of the WAMP meta API, as a dashboard written for Crossbar.io
// uses it: watch sessions join, count and describe them, look up
// registrations (null when nothing is registered) and count a
// subscription's subscribers. The router answers every wamp.* procedure
// itself; see meta_test.go.

const h = require('./harness.js');
const { check, jsonLine, withTimeout, STEP_MS } = h;

const show = jsonLine;

// call returns the single positional result of a meta procedure (autobahn
// resolves [x] to x, [null] to null).
function call(s, proc, args, kwargs) {
  return withTimeout(s.call(proc, args || [], kwargs || {}), STEP_MS, 'call ' + proc);
}

// metaAPI: a watcher subscribes to wamp.session.on_join, a second session
// joins; the watcher sees it join, counts, lists and gets it, looks up a
// procedure before and after the second session registers it, and counts
// the subscribers of its own on_join subscription.
async function metaAPI(cfg) {
  const w = await h.join(cfg, 'watcher');
  const joins = [];
  let joined = null;
  const seen = new Promise((resolve) => { joined = resolve; });
  const sub = await withTimeout(w.subscribe('wamp.session.on_join', (args) => {
    joins.push(args[0]);
    joined();
  }), STEP_MS, 'subscribe wamp.session.on_join');

  const s = await h.join(cfg, 'joiner');
  const id = s.id;
  await withTimeout(seen, STEP_MS, () => 'waiting for on_join of ' + id + ', got ' + show(joins));
  const join = joins.find((d) => d.session === id);
  check(join && join.authrole === 'anonymous' && join.authmethod === 'anonymous' &&
    typeof join.authid === 'string' && join.transport && join.transport.serializer === cfg.serializer,
  'on_join details ' + show(joins) + ', want session ' + id + ' (anonymous, ' + cfg.serializer + ')', { joins });

  const count = await call(w, 'wamp.session.count');
  const list = await call(w, 'wamp.session.list');
  check(Number.isInteger(count) && count >= 2 && Array.isArray(list) && list.includes(id) && list.includes(w.id),
    'wamp.session.count ' + show(count) + ', list ' + show(list) + ': want both sessions', { count, list });
  const details = await call(w, 'wamp.session.get', [id]);
  check(details && details.session === id && details.authid === join.authid && details.authrole === 'anonymous',
    'wamp.session.get ' + show(details) + ', want the on_join details of ' + id, { details });
  let noSession = null;
  try {
    await call(w, 'wamp.session.get', [1]);
  } catch (e) {
    noSession = e.error;
  }
  check(noSession === 'wamp.error.no_such_session', 'wamp.session.get of an unknown ID: ' + show(noSession));

  const proc = 'com.example.js.meta.' + cfg.serializer;
  const before = await call(w, 'wamp.registration.lookup', [proc]);
  check(before === null, 'lookup before REGISTER = ' + show(before) + ', want null', { before });
  const reg = await withTimeout(s.register(proc, () => 'ok'), STEP_MS, 'register ' + proc);
  const after = await call(w, 'wamp.registration.lookup', [proc]);
  check(after === reg.id, 'lookup after REGISTER = ' + show(after) + ', want ' + reg.id, { after });
  const callees = await call(w, 'wamp.registration.list_callees', [reg.id]);
  check(Array.isArray(callees) && callees.length === 1 && callees[0] === id,
    'list_callees ' + show(callees) + ', want [' + id + ']', { callees });

  const subscribers = await call(w, 'wamp.subscription.count_subscribers', [sub.id]);
  check(subscribers === 1, 'count_subscribers of the on_join subscription = ' + show(subscribers) + ', want 1');
  return {
    on_join_is_joiner: join.session === id,
    on_join_keys: Object.keys(join).sort(),
    count_at_least_2: count >= 2,
    get_session_is_joiner: details.session === id,
    no_such_session: noSession,
    lookup_before: before,
    lookup_after_is_registration: after === reg.id,
    count_subscribers: subscribers,
  };
}

module.exports = {
  'meta-api': metaAPI,
};
