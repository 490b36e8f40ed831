// Scenarios behind spec/server_options_spec.lua: run `node spec/node/server_options.js`.
// Each scenario prints `== name` and then what the Lua spec expects.
// Socket options were read with `strace -f -e trace=setsockopt node spec/node/server_options.js`
// (see the 'socket options' scenario). blockList is newer than v20: the
// 'blocked' scenario shows what a client sees when a server closes a
// connection at once, which is what the newest Node does for a blocked peer.
'use strict';
const net = require('net');
const log = (...a) => console.log(...a);
const J = JSON.stringify;
const scenarios = [];
const add = (name, fn) => scenarios.push([name, fn]);
const next = () => { const s = scenarios.shift(); if (!s) return; log('==', s[0]); s[1](next); };

add('constructor forms and bad options', (done) => {
  const out = [];
  const a = new net.Server({ allowHalfOpen: true }, () => {}); out.push('Server(opts, fn):' + a.listenerCount('connection'));
  const b = net.createServer(() => {}); out.push('createServer(fn):' + b.listenerCount('connection'));
  const c = net.createServer(null); out.push('createServer(null):' + c.listenerCount('connection'));
  const d = net.createServer({}, 'not a function'); out.push('non-function listener ignored:' + d.listenerCount('connection'));
  for (const o of ['x', 5, true]) { try { net.createServer(o); out.push('no throw'); } catch (e) { out.push(J([e.code, e.name, e.message])); } }
  for (const h of ['x', null]) { try { net.createServer({ highWaterMark: h }); out.push('no throw'); } catch (e) { out.push(J([e.code, e.name, e.message])); } }
  log(out.join('\n')); done();
});
add('what accepted sockets inherit', (done) => {
  const out = [];
  const opts = [undefined, { allowHalfOpen: true, pauseOnConnect: true, highWaterMark: 1024 }, { highWaterMark: -1 }, { highWaterMark: 0 }];
  let i = 0;
  (function one() {
    const o = opts[i++]; if (i > opts.length) { log(out.join('\n')); done(); return; }
    const s = net.createServer(o, (c) => {
      out.push(J(o) + ' ' + J([c.server === s, c.allowHalfOpen, c.isPaused(), c.readableHighWaterMark, c.writableHighWaterMark]));
      c.destroy(); s.close(one);
    });
    s.listen(0, '127.0.0.1', () => { const c = net.connect(s.address().port, '127.0.0.1'); c.on('error', () => {}); c.resume(); });
  })();
});
add('pauseOnConnect: nothing is read until resume()', (done) => {
  const out = [];
  const s = net.createServer({ pauseOnConnect: true }, (c) => {
    out.push('connection:isPaused=' + c.isPaused());
    c.on('data', (d) => out.push('data:' + d));
    c.on('end', () => { out.push('end'); s.close(); });
    setTimeout(() => {
      out.push('after-100ms:bytesRead=' + c.bytesRead + ':readableLength=' + c.readableLength + ':isPaused=' + c.isPaused());
      c.resume(); out.push('resumed');
    }, 100);
  });
  s.on('close', () => { log(J(out)); done(); });
  s.listen(0, '127.0.0.1', () => { const c = net.connect(s.address().port, '127.0.0.1'); c.end('hello'); });
});
add('socket options (strace shows what is set on the accepted fd)', (done) => {
  // keepAlive+5000+noDelay: TCP_NODELAY 1, SO_KEEPALIVE 1, TCP_KEEPIDLE 5
  // keepAlive+1500: SO_KEEPALIVE 1, TCP_KEEPIDLE 1;  keepAlive alone: SO_KEEPALIVE 1, TCP_KEEPIDLE 0 -> EINVAL (ignored)
  // no options: nothing set (TCP_NODELAY and SO_KEEPALIVE stay 0)
  const opts = [{ keepAlive: true, keepAliveInitialDelay: 5000, noDelay: true }, { keepAlive: true, keepAliveInitialDelay: 1500 }, { keepAlive: true }, {}];
  let i = 0;
  (function one() {
    const o = opts[i++]; if (!o) { done(); return; }
    const s = net.createServer(o, (c) => { c.on('error', (e) => log('error!?', e.code)); log(J(o), 'connection ok'); c.destroy(); s.close(one); });
    s.listen(0, '127.0.0.1', () => { const c = net.connect(s.address().port, '127.0.0.1'); c.on('error', () => {}); c.resume(); });
  })();
});
add('keepAliveInitialDelay: a number or ERR_INVALID_ARG_TYPE at once; negative and NaN work (as 0)', (done) => {
  try { net.createServer({ keepAlive: true, keepAliveInitialDelay: 'x' }); log('no throw!?'); } catch (e) { log(J([e.code, e.name, e.message])); }
  const delays = [-5000, NaN];
  (function one() {
    const d = delays.shift(); if (d === undefined) { done(); return; }
    const s = net.createServer({ keepAlive: true, keepAliveInitialDelay: d }, (c) => { log(String(d), 'connection ok'); c.destroy(); s.close(one); });
    s.listen(0, '127.0.0.1', () => { const c = net.connect(s.address().port, '127.0.0.1'); c.on('error', () => {}); c.resume(); });
  })();
});
add('blocked (simulated: the server closes the connection at once)', (done) => {
  const out = [];
  const s = net.createServer((c) => c.destroy());
  s.listen(0, '127.0.0.1', () => {
    const c = net.connect(s.address().port, '127.0.0.1');
    for (const ev of ['connect', 'end', 'error', 'close']) c.on(ev, (x) => out.push(ev + (x === undefined ? '' : ':' + (x.code || x))));
    c.resume();
    c.on('close', () => s.getConnections((e, n) => { out.push('connections:' + n); s.close(() => { log(J(out)); done(); }); }));
  });
});
add('signal: abort while listening', (done) => {
  const out = []; const ac = new AbortController(); const s = net.createServer();
  s.on('close', () => { out.push('close'); setTimeout(() => { ac.abort(); out.push('abort-again'); setTimeout(() => { log(J(out)); done(); }, 20); }, 10); });
  s.on('listening', () => out.push('listening'));
  s.listen({ port: 0, host: '127.0.0.1', signal: ac.signal }, () => {
    out.push('cb'); ac.abort(); out.push('after-abort:listening=' + s.listening + ':address=' + J(s.address()));
  });
});
for (const [name, opts] of [['no host', {}], ['host', { host: '127.0.0.1' }], ['path', { path: `/tmp/net-node-sig-${process.pid}.sock` }]]) {
  add('signal: already aborted, ' + name, (done) => {
    const out = []; const ac = new AbortController(); ac.abort(); const s = net.createServer();
    s.on('close', () => out.push('close')); s.on('listening', () => out.push('listening')); s.on('error', (e) => out.push('error:' + e.code));
    s.listen({ port: opts.path ? undefined : 0, ...opts, signal: ac.signal }, () => out.push('cb'));
    out.push('sync:listening=' + s.listening);
    setTimeout(() => { out.push('later:listening=' + s.listening + (opts.path ? ':file=' + require('fs').existsSync(opts.path) : '')); log(J(out)); done(); }, 50);
  });
}
add('signal: abort with a connection open', (done) => {
  const out = []; const ac = new AbortController(); let client;
  const s = net.createServer((c) => {
    out.push('connection'); c.on('end', () => out.push('conn-end')); c.on('close', () => out.push('conn-close'));
    ac.abort(); out.push('aborted:listening=' + s.listening);
    setTimeout(() => { out.push('client-ends'); client.end(); }, 30);
  });
  s.on('close', () => { out.push('close'); setTimeout(() => { log(J(out)); done(); }, 10); });
  s.listen({ port: 0, host: '127.0.0.1', signal: ac.signal }, () => { client = net.connect(s.address().port, '127.0.0.1'); client.resume(); });
});
add('signal: not an AbortSignal', (done) => {
  const out = [];
  for (const v of [{}, 'x']) { try { net.createServer().listen({ port: 0, signal: v }); out.push('no throw'); } catch (e) { out.push(J([e.code, e.name, e.message])); } }
  log(out.join('\n')); done();
});
next();
