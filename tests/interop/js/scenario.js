'use strict';
// Runs ONE interop scenario of autobahn-js against a WAMP router and prints
// exactly one line of JSON on stdout: {"ok":true,...} (exit 0) or
// {"ok":false,"error":"..."} (exit 1). Everything else (autobahn's own
// warnings, debug output) goes to stderr.
//
// Usage: node scenario.js <url> <realm> <scenario> <serializer>
//   scenario:   js-callee-caller | call-go | pubsub | no-such-procedure |
//               auth-abort | auth-admit | server-event (scenarios_sessions.js) |
//               go-component (scenarios_component.js) |
//               auth-ticket | auth-wampcra | auth-wampcra-salted | auth-cryptosign |
//               auth-wrong-secret | secured-anonymous | secured-ticket |
//               secured-wampcra-salted | secured-cryptosign |
//               secured-wrong-ticket (scenarios_auth.js) |
//               meta-api (scenarios_meta.js) |
//               cluster-across | cluster-gone (scenarios_cluster.js) |
//               selfcheck (needs no router: checks the installed client)
//   serializer: json | msgpack | cbor
//
// The script always ends by itself: a watchdog (INTEROP_TIMEOUT_MS, default
// 15000) reports ok:false and exits 1 if the scenario has not finished.

// autobahn-js 26.x uses the global WebSocket, which node 20 does not have by
// default. Install one from the pinned `ws` package, on every node version,
// so the transport underneath autobahn is the same everywhere (node 22's
// built-in WebSocket is not used). The no-op error listener is required:
// without it a refused connection throws an unhandled 'error' event and
// crashes the process instead of reaching autobahn's onclose.
const WS = require('ws');
globalThis.WebSocket = class extends WS {
  constructor(...a) {
    super(...a);
    this.on('error', (e) => h.noteWsError(e));
  }
};

const h = require('./harness.js');
const scenarios = Object.assign({}, require('./scenarios.js'), require('./scenarios_sessions.js'),
  require('./scenarios_component.js'), require('./scenarios_auth.js'), require('./scenarios_meta.js'),
  require('./scenarios_cluster.js'));

main();

function main() {
  const argv = process.argv.slice(2);
  if (argv.length !== 4) {
    h.fail('usage: node scenario.js <url> <realm> <scenario> <serializer>');
    return;
  }
  const [url, realm, scenario, serializer] = argv;
  const cfg = { url, realm, scenario, serializer };
  const run = Object.prototype.hasOwnProperty.call(scenarios, scenario) ? scenarios[scenario] : null;
  if (typeof run !== 'function') {
    h.fail('unknown scenario ' + h.jsonLine(scenario) + ' (want ' + Object.keys(scenarios).join('|') + ')');
    return;
  }
  try {
    h.makeSerializer(serializer);
  } catch (e) {
    h.fail(h.errText(e));
    return;
  }
  const base = { scenario, serializer, realm };
  const watchdog = setTimeout(() => {
    const msg = 'scenario ' + scenario + ' did not finish within ' + h.TIMEOUT_MS + 'ms';
    // Try a short, bounded clean close; report the timeout either way.
    h.closeAll(1000).then(() => h.fail(msg, base), () => h.fail(msg, base));
  }, h.TIMEOUT_MS);
  process.on('uncaughtException', (e) => h.fail('uncaught exception: ' + h.errText(e)));
  process.on('unhandledRejection', (e) => h.fail('unhandled rejection: ' + h.errText(e)));

  run(cfg).then(
    async (details) => {
      try {
        await h.closeAll();
      } catch (e) {
        h.fail('scenario passed but close failed: ' + h.errText(e), Object.assign(base, { details }));
        return;
      }
      clearTimeout(watchdog);
      h.finish(Object.assign({ ok: true }, base, details));
    },
    async (e) => {
      const extra = Object.assign(base, e && e.details ? { details: e.details } : {});
      try {
        await h.closeAll();
      } catch (_) {
        // The scenario already failed: report that, not the close.
      }
      h.fail(h.errText(e), extra);
    },
  );
}
