'use strict';
// Interop with a Go client.Component (tests/interop/component_test.go):
// the Go side runs a component declaring com.example.gocomp.triple_square,
// whose handler calls back into JS.

const h = require('./harness.js');
const { check, deepEqual, jsonLine, withTimeout, STEP_MS } = h;

// goComponent: a JS callee (com.example.js.square) and a JS caller of the
// Go component's procedure, which calls the JS callee: 3 * 4² = 48.
async function goComponent(cfg) {
  const s = await h.join(cfg, 'js-peer');
  await withTimeout(s.register('com.example.js.square', (args) => args[0] * args[0]),
    STEP_MS, 'register com.example.js.square');
  const got = h.resultParts(await withTimeout(s.call('com.example.gocomp.triple_square', [4]),
    STEP_MS, 'call com.example.gocomp.triple_square'));
  check(deepEqual(got, { args: [48], kwargs: {} }),
    'com.example.gocomp.triple_square([4]): got ' + jsonLine(got) + ', want args [48]', { got });
  return { triple_square: got.args[0] };
}

module.exports = {
  'go-component': goComponent,
};
