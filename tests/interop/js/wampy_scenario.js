'use strict';
// Runs ONE interop scenario of wampy.js (npm `wampy`, pinned in
// package-lock.json) against a WAMP router and prints exactly one line of
// JSON on stdout, like scenario.js: {"ok":true,...} (exit 0) or
// {"ok":false,"error":"..."} (exit 1).
//
// Usage: node wampy_scenario.js <url> <realm> <scenario> <serializer>
//   scenario:   wampy-rpc | wampy-pubsub | wampy-ppt (scenarios_wampy.js)
//   serializer: json | msgpack | cbor
//
// The script always ends by itself: a watchdog (INTEROP_TIMEOUT_MS, default
// 15000) reports ok:false and exits 1 if the scenario has not finished.

const h = require('./harness.js');
const w = require('./scenarios_wampy.js');

main();

function main() {
  const argv = process.argv.slice(2);
  if (argv.length !== 4) {
    h.fail('usage: node wampy_scenario.js <url> <realm> <scenario> <serializer>');
    return;
  }
  const [url, realm, scenario, serializer] = argv;
  const cfg = { url, realm, scenario, serializer };
  const run = Object.prototype.hasOwnProperty.call(w.scenarios, scenario) ? w.scenarios[scenario] : null;
  if (typeof run !== 'function') {
    h.fail('unknown scenario ' + h.jsonLine(scenario) + ' (want ' + Object.keys(w.scenarios).join('|') + ')');
    return;
  }
  try {
    w.makeSerializer(serializer);
  } catch (e) {
    h.fail(w.errText(e));
    return;
  }
  const base = { scenario, serializer, realm, client: 'wampy ' + w.version };
  const watchdog = setTimeout(() => {
    const msg = 'scenario ' + scenario + ' did not finish within ' + h.TIMEOUT_MS + 'ms';
    w.closeAll(1000).then(() => h.fail(msg, base), () => h.fail(msg, base));
  }, h.TIMEOUT_MS);
  process.on('uncaughtException', (e) => h.fail('uncaught exception: ' + w.errText(e), base));
  process.on('unhandledRejection', (e) => h.fail('unhandled rejection: ' + w.errText(e), base));

  run(cfg).then(
    async (details) => {
      try {
        await w.closeAll();
      } catch (e) {
        h.fail('scenario passed but close failed: ' + w.errText(e), Object.assign(base, { details }));
        return;
      }
      clearTimeout(watchdog);
      h.finish(Object.assign({ ok: true }, base, details));
    },
    async (e) => {
      const extra = Object.assign(base, e && e.details ? { details: e.details } : {});
      try {
        await w.closeAll(1000);
      } catch (_) {
        // The scenario already failed: report that, not the close.
      }
      h.fail(w.errText(e), extra);
    },
  );
}
