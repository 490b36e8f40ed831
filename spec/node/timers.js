// Scenarios behind spec/timers_spec.lua: run `node spec/node/timers.js`.
'use strict';
const net = require('net');
const log = (...a) => console.log(...a);
const scenarios = [];
const add = (name, fn) => scenarios.push([name, fn]);
const next = () => { const s = scenarios.shift(); if (!s) return; log('==', s[0]); s[1](next); };

add('args', (done) => { setTimeout((a, b, c) => { log('timeout', a, b, c); done(); }, 5, 'a', undefined, 3); });
add('clear', (done) => {
  const t = setTimeout(() => log('never'), 5); clearTimeout(t); clearTimeout(undefined); clearTimeout(null);
  setTimeout(() => { clearTimeout(t); log('cleared ok'); done(); }, 20);
});
add('order-by-delay', (done) => {
  const out = [];
  setTimeout(() => out.push(30), 30); setTimeout(() => out.push(10), 10); setTimeout(() => out.push(20), 20);
  setTimeout(() => out.push('10b'), 10);
  setTimeout(() => { log(JSON.stringify(out)); done(); }, 60);
});
add('zero-is-one', (done) => {
  const out = [];
  // both become 1 ms: insertion order
  setTimeout(() => out.push('one'), 1); setTimeout(() => out.push('zero'), 0); setTimeout(() => out.push('neg'), -5);
  setTimeout(() => { log(JSON.stringify(out)); done(); }, 30);
});
add('interval', (done) => {
  let n = 0; const args = [];
  const i = setInterval((x) => { n++; args.push(x); if (n === 3) { clearInterval(i); setTimeout(() => { log('interval n', n, JSON.stringify(args)); done(); }, 30); } }, 5, 'x');
});
add('immediate', (done) => {
  const out = [];
  setImmediate((a, b) => out.push('i1:' + a + b), 'a', 'b');
  const i2 = setImmediate(() => out.push('i2'));
  setImmediate(() => { out.push('i3'); setImmediate(() => { out.push('i5-nested'); log(JSON.stringify(out)); done(); }); });
  setImmediate(() => out.push('i4'));
  clearImmediate(i2); clearImmediate(undefined);
  out.push('sync');
});
add('immediate-before-timeout-from-timer', (done) => {
  const out = [];
  setTimeout(() => {
    setTimeout(() => { out.push('timeout0'); log(JSON.stringify(out)); done(); }, 0);
    setImmediate(() => out.push('immediate'));
  }, 1);
});
add('immediate-before-timeout-from-io', (done) => {
  const out = [];
  const server = net.createServer((c) => {
    setTimeout(() => { out.push('timeout0'); log(JSON.stringify(out)); c.destroy(); server.close(done); }, 0);
    setImmediate(() => out.push('immediate'));
    c.on('data', () => {
      // never fires, just shows the shape
    });
  });
  server.listen(0, '127.0.0.1', () => { net.connect(server.address().port, '127.0.0.1').on('close', () => {}); });
});
add('ref-unref', (done) => {
  const t = setTimeout(() => {}, 10);
  log('hasRef', t.hasRef()); log('unref returns t', t.unref() === t); log('hasRef after unref', t.hasRef());
  log('ref returns t', t.ref() === t); log('hasRef after ref', t.hasRef()); clearTimeout(t);
  const i = setImmediate(() => {});
  log('imm hasRef', i.hasRef(), 'unref returns i', i.unref() === i, 'after', i.hasRef(), 'ref', i.ref() === i, i.hasRef());
  clearImmediate(i);
  const iv = setInterval(() => {}, 10); log('interval hasRef', iv.hasRef()); clearInterval(iv);
  // clearTimeout works on intervals and clearInterval on timeouts (same class)
  const t2 = setTimeout(() => log('never t2'), 5); clearInterval(t2);
  const iv2 = setInterval(() => log('never iv2'), 5); clearTimeout(iv2);
  setTimeout(done, 20);
});
add('bad-callback', (done) => {
  for (const [n, f] of [['setTimeout', setTimeout], ['setInterval', setInterval], ['setImmediate', setImmediate]]) {
    try { f(5); } catch (e) { log(n, JSON.stringify([e.code, e.name, e.message])); }
    try { f(); } catch (e) { log(n, JSON.stringify([e.code, e.name, e.message])); }
  }
  done();
});
add('unref-does-not-hold', (done) => {
  // an unref'd long timer does not keep the process alive; an unref'd interval runs while something else holds the loop
  let n = 0;
  setTimeout(() => log('never: unref long timer'), 100000).unref();
  const iv = setInterval(() => { n++; }, 5); iv.unref();
  setTimeout(() => { log('unref interval ticks >= 3:', n >= 3); done(); }, 60);
});
next();
process.on('exit', () => log('exit'));
