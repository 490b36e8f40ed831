// Scenarios behind spec/emitter_spec.lua: run `node spec/node/emitter.js`.
'use strict';
const EventEmitter = require('events');
const show = (name, v) => console.log(name + ':', JSON.stringify(v));

{ // on/addListener, emit args and return value, chaining
  const e = new EventEmitter(); const log = [];
  show('emit-none', e.emit('x', 1));
  const r = e.on('x', (a, b, c) => log.push(['on', a, b === undefined ? 'nil' : b, c]));
  show('on-returns-this', r === e);
  show('addListener-returns-this', e.addListener('x', (a) => log.push(['add', a])) === e);
  show('emit-some', e.emit('x', 1, undefined, 3));
  show('args-log', log);
}
{ // same function twice: called twice; removeListener removes the last added
  const e = new EventEmitter(); const log = [];
  const f = () => log.push('f'); const g = () => log.push('g');
  e.on('x', f); e.on('x', g); e.on('x', f);
  e.emit('x'); show('twice', log);
  e.removeListener('x', f); show('after-remove-one', e.listeners('x').map((h) => h === f ? 'f' : 'g'));
  show('off-returns-this', e.off('x', f) === e);
  show('after-off', e.listeners('x').map((h) => h === f ? 'f' : 'g'));
  e.off('x', () => {}); show('remove-unknown-count', e.listenerCount('x'));
}
{ // once
  const e = new EventEmitter(); const log = [];
  e.once('x', (a) => log.push('once:' + a));
  show('once-count-before', e.listenerCount('x'));
  show('once-first-emit', e.emit('x', 1)); show('once-second-emit', e.emit('x', 2));
  show('once-log', log); show('once-count-after', e.listenerCount('x'));
  // once removed by off with the original function
  const f = () => log.push('never'); e.once('y', f); e.off('y', f);
  show('once-off-count', e.listenerCount('y')); show('once-off-emit', e.emit('y'));
  // once listener re-emitting the same event only runs once
  const log2 = []; e.once('z', () => { log2.push('z'); e.emit('z'); }); e.emit('z');
  show('once-reentrant', log2);
}
{ // prepend
  const e = new EventEmitter(); const log = [];
  e.on('x', () => log.push('a'));
  e.prependListener('x', () => log.push('b'));
  e.prependOnceListener('x', () => log.push('c'));
  e.on('x', () => log.push('d'));
  e.emit('x'); e.emit('x');
  show('prepend-order', log);
}
{ // listeners / rawListeners
  const e = new EventEmitter(); const log = [];
  const f = () => log.push('f'); const g = () => log.push('g');
  e.on('x', f); e.once('x', g);
  const ls = e.listeners('x');
  show('listeners-unwrap', [ls[0] === f, ls[1] === g, ls.length]);
  ls.pop(); show('listeners-copy', e.listenerCount('x'));
  const raw = e.rawListeners('x');
  show('raw', [raw[0] === f, raw[1] === g, typeof raw[1], raw[1].listener === g]);
  raw[1](); show('raw-call-log', log); show('raw-call-count', e.listenerCount('x'));
  show('listeners-none', e.listeners('nope'));
  show('rawListeners-none', e.rawListeners('nope'));
  // listenerCount with a listener argument (v18.16+)
  e.on('x', f); e.once('x', g);
  show('listenerCount-f', e.listenerCount('x', f));
  show('listenerCount-g', e.listenerCount('x', g));
  show('listenerCount-total', e.listenerCount('x'));
}
{ // eventNames
  const e = new EventEmitter(); const f = () => {};
  show('eventNames-empty', e.eventNames());
  e.on('b', f); e.on('a', f); e.on('c', f); e.on('b', f);
  show('eventNames', e.eventNames());
  e.removeAllListeners('b'); show('eventNames-removed', e.eventNames());
  e.on('b', f); show('eventNames-readded', e.eventNames());
  e.once('d', f); e.emit('d'); show('eventNames-once-gone', e.eventNames());
}
{ // removeAllListeners
  const e = new EventEmitter(); const f = () => {};
  e.on('a', f); e.on('a', f); e.on('b', f);
  show('removeAll-returns-this', e.removeAllListeners('a') === e);
  show('removeAll-a', [e.listenerCount('a'), e.listenerCount('b')]);
  e.removeAllListeners(); show('removeAll', e.eventNames());
  // removeListener events emitted by removeAllListeners, last added first
  const log = []; const g = () => {};
  e.on('removeListener', (name, l) => log.push(name + ':' + (l === f ? 'f' : l === g ? 'g' : '?')));
  e.on('x', f); e.on('x', g); e.on('y', g);
  e.removeAllListeners('x'); show('removeAll-events-x', log);
  log.length = 0; e.removeAllListeners(); show('removeAll-events-all', log);
  show('removeAll-after', e.eventNames());
}
{ // max listeners
  const e = new EventEmitter();
  show('max-default', e.getMaxListeners());
  show('setMax-returns-this', e.setMaxListeners(3) === e);
  show('max-set', e.getMaxListeners());
  e.setMaxListeners(0); show('max-zero', e.getMaxListeners());
  try { e.setMaxListeners(-1); } catch (err) { show('setMax-neg', [err.code, err.name, err.message]); }
  try { e.setMaxListeners('3'); } catch (err) { show('setMax-str', [err.code, err.name, err.message]); }
}
{ // newListener / removeListener events
  const e = new EventEmitter(); const log = [];
  const f = () => log.push('f');
  e.on('newListener', (name, l) => {
    log.push('new:' + name + ':' + (l === f ? 'f' : 'other') + ':count=' + e.listenerCount(name));
    if (name === 'x' && l === f) e.on('x', () => log.push('added-in-newListener'));
  });
  e.on('removeListener', (name, l) => log.push('removed:' + name + ':' + (l === f ? 'f' : 'other') + ':count=' + e.listenerCount(name)));
  e.on('x', f); e.emit('x');
  e.off('x', f); e.emit('x');
  show('newListener', log);
  // once: newListener and removeListener see the original function
  const log2 = []; const e2 = new EventEmitter(); const g = () => log2.push('g');
  e2.on('newListener', (name, l) => log2.push('new:' + name + ':' + (l === g)));
  e2.on('removeListener', (name, l) => log2.push('removed:' + name + ':' + (l === g)));
  e2.once('y', g); e2.emit('y');
  show('newListener-once', log2);
}
{ // removing/adding during emit does not change the current emit
  const e = new EventEmitter(); const log = [];
  const b = () => log.push('b');
  e.on('x', () => { log.push('a'); e.off('x', b); e.on('x', () => log.push('c')); });
  e.on('x', b);
  e.emit('x'); log.push('--'); e.emit('x');
  show('mutate-during-emit', log);
}
{ // error with no listener
  const e = new EventEmitter();
  const err = new Error('boom'); err.code = 'EBOOM';
  try { e.emit('error', err); } catch (x) { show('error-unhandled-same', x === err); }
  try { e.emit('error', 'boom'); } catch (x) { show('error-unhandled-string', [x.code, x.name, x.message, x.context]); }
  const log = []; e.on('error', (x) => log.push(x === err));
  show('error-handled-emit', e.emit('error', err)); show('error-handled', log);
}
{ // bad listener
  const e = new EventEmitter();
  for (const m of ['on', 'once', 'prependListener', 'off']) {
    try { e[m]('x', 5); } catch (x) { show('bad-listener-' + m, [x.code, x.name, x.message]); }
  }
}
{ // extend
  class X extends EventEmitter { hello() { this.emit('hello', 'world'); return 'hi'; } }
  const a = new X(); const b = new X(); const log = [];
  a.on('hello', (w) => log.push('a:' + w));
  show('extend-hello', a.hello()); b.hello();
  show('extend-log', log); show('extend-counts', [a.listenerCount('hello'), b.listenerCount('hello')]);
  show('extend-instanceof', a instanceof EventEmitter);
}
{ // extend twice
  class X extends EventEmitter { hello() { this.emit('hello', this.tag); } }
  class Y extends X { twice() { this.hello(); this.hello(); } }
  const y = new Y(); y.tag = 'mine'; const log = [];
  y.once('hello', (t) => log.push(t)); y.twice();
  show('extend-twice', [log, y.tag]);
}
{ // undefined and NaN as event names: Node turns names into strings ('undefined', 'NaN')
  const e = new EventEmitter(); const log = [];
  e.on('newListener', (n) => log.push('new:' + String(n) + ':' + typeof n));
  e.on(undefined, (a) => log.push('undefined-listener:' + a));
  e.on(NaN, (a) => log.push('NaN-listener:' + a));
  e.emit(undefined, 1); e.emit('undefined', 2); e.emit(NaN, 3); e.emit('NaN', 4);
  show('nil-names', [log, e.eventNames().slice(1), e.listenerCount(undefined), e.listenerCount('NaN')]);
  e.removeAllListeners(undefined);
  show('nil-names-removed', [e.eventNames().slice(1), e.listeners(NaN).length]);
}
{ // class X extends <not a class>
  for (const [name, v] of [['0', 0], ['undefined', undefined], ["'x'", 'x'], ['true', true]]) {
    try { eval('(class X extends v {})'); show('extends-' + name, 'ok'); } catch (x) { show('extends-' + name, [x.name, x.code, x.message]); }
  }
}
