// Behind spec/promises_spec.lua: Node's events.once and timers/promises
// setTimeout, which netp.once and netp.sleep follow (Node v20 has no
// net/promises yet). Run `node spec/node/promises.js`; it prints:
//   args [1,null,3] 3 order after emit,resumed
//   listeners after 0 0
//   rejected bad 0 0
//   error event boom
//   bad emitter ERR_INVALID_ARG_TYPE
//   sleep undefined true
'use strict';
const { once, EventEmitter } = require('events');
const { setTimeout: sleep } = require('timers/promises');
(async () => {
  const e = new EventEmitter();
  const log = [];
  // resolves with the arguments, as an array (undefined kept)
  setImmediate(() => { e.emit('x', 1, undefined, 3); log.push('after emit'); });
  const args = await once(e, 'x');
  log.push('resumed');
  console.log('args', JSON.stringify(args), args.length, 'order', log.join(','));
  console.log('listeners after', e.listenerCount('x'), e.listenerCount('error'));
  // 'error' first: rejects with it, listeners removed
  setImmediate(() => e.emit('error', new Error('bad')));
  try { await once(e, 'x'); } catch (err) { console.log('rejected', err.message, e.listenerCount('x'), e.listenerCount('error')); }
  // waiting for 'error' itself resolves with its arguments
  setImmediate(() => e.emit('error', new Error('boom')));
  const [err] = await once(e, 'error');
  console.log('error event', err.message);
  // a non-emitter
  try { await once({}, 'x'); } catch (err2) { console.log('bad emitter', err2.code); }
  const t0 = Date.now();
  const v = await sleep(30);
  console.log('sleep', v, Date.now() - t0 >= 29);
})();
