// Scenarios behind spec/server_spec.lua: run `node spec/node/server.js`.
'use strict';
const net = require('net');
const log = (...a) => console.log(...a);
const J = JSON.stringify;
const scenarios = [];
const add = (name, fn) => scenarios.push([name, fn]);
const next = () => { const s = scenarios.shift(); if (!s) return; log('==', s[0]); s[1](next); };

add('listen-host', (done) => {
  const out = []; const server = net.createServer();
  out.push('listening-before:' + server.listening, 'address-before:' + J(server.address()));
  server.on('listening', () => out.push('listening-event:' + server.listening));
  const r = server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    out.push('cb', 'address:' + J({ address: a.address, family: a.family, portIsNumber: typeof a.port, portPositive: a.port > 0 }));
    server.close(); out.push('address-after-close:' + J(server.address()), 'listening-after-close:' + server.listening);
    server.on('close', () => { out.push('close'); log(J(out)); done(); });
  });
  out.push('listen-returns-server:' + (r === server), 'listening-sync:' + server.listening);
});
add('listen-no-host', (done) => {
  const out = []; const server = net.createServer();
  server.listen(0, () => { const a = server.address(); out.push('cb', a.address, a.family); server.close(() => { log(J(out)); done(); }); });
  out.push('listening-sync:' + server.listening);
});
add('listen-cb-only', (done) => {
  const server = net.createServer();
  server.listen(() => { const a = server.address(); log(J([a.address, a.family, a.port > 0])); server.close(done); });
});
add('listen-options', (done) => {
  const server = net.createServer();
  server.listen({ port: 0, host: '127.0.0.1', backlog: 5 }, () => {
    const a = server.address(); log('options', J([a.address, a.family]));
    server.close(() => {
      server.listen(0, '127.0.0.1', 5, () => { log('backlog-arg', J(server.address().address)); server.close(done); });
    });
  });
});
add('listen-options-no-host', (done) => {
  const server = net.createServer();
  server.listen({ port: 0 }, () => { const a = server.address(); log(J([a.address, a.family])); server.close(done); });
});
add('eaddrinuse', (done) => {
  const out = []; const s1 = net.createServer();
  s1.listen(0, '127.0.0.1', () => {
    const port = s1.address().port; const s2 = net.createServer();
    s2.on('listening', () => out.push('listening'));
    s2.on('close', () => out.push('close'));
    s2.on('error', (e) => {
      out.push('error:' + e.code, 'listening:' + s2.listening, 'address:' + J(s2.address()), 'portMatches:' + (e.port === port));
      setTimeout(() => {
        // listen again after an error: allowed
        s2.listen(0, '127.0.0.1', () => {
          out.push('relisten-ok');
          s2.close(() => s1.close(() => { log(J(out)); done(); }));
        });
      }, 20);
    });
    s2.listen(port, '127.0.0.1');
  });
});
add('already-listen', (done) => {
  const out = []; const server = net.createServer();
  server.listen(0, '127.0.0.1', () => {
    try { server.listen(0, '127.0.0.1'); } catch (e) { out.push(J([e.code, e.name, e.message])); }
    try { server.listen({ port: 0 }); } catch (e) { out.push('opts:' + e.code); }
    const s3 = net.createServer(); s3.listen(0);
    try { s3.listen(0); out.push('sync-no-host: no throw'); } catch (e) { out.push('sync-no-host:' + e.code); }
    s3.close();
    const s4 = net.createServer(); s4.listen(0, '127.0.0.1');
    s4.on('error', (e) => out.push('s4 error ' + e.code));
    try { s4.listen(0, '127.0.0.1'); out.push('sync-host: no throw'); } catch (e) { out.push('sync-host:' + e.code); }
    setTimeout(() => { s4.close(); server.close(() => { log(J(out)); done(); }); }, 30);
  });
});
add('close-waits-for-connections', (done) => {
  const out = [];
  const server = net.createServer((c) => {
    out.push('connection');
    c.on('end', () => out.push('conn-end'));
    c.on('close', () => out.push('conn-close'));
    server.close((err) => { out.push('close-cb:' + err); });
    out.push('close-called:listening=' + server.listening + ':address=' + J(server.address()));
    setTimeout(() => { out.push('client-ends'); client.end(); }, 30);
  });
  server.on('close', () => out.push('server-close-event'));
  let client;
  server.listen(0, '127.0.0.1', () => {
    client = net.connect(server.address().port, '127.0.0.1');
    client.resume();
    client.on('close', () => out.push('client-close'));
  });
  setTimeout(() => { log(J(out)); done(); }, 200);
});
add('close-not-running', (done) => {
  const out = []; const server = net.createServer();
  server.on('close', () => out.push('close-event'));
  const r = server.close((err) => out.push('cb:' + J([err.code, err.name, err.message, String(err)])));
  out.push('sync:' + (r === server));
  setTimeout(() => {
    // close twice after listening
    server.listen(0, '127.0.0.1', () => {
      server.close((err) => out.push('first-close-cb:' + err));
      server.close((err) => out.push('second-close-cb:' + (err && err.code)));
      setTimeout(() => { log(J(out)); done(); }, 30);
    });
  }, 20);
});
add('connection-events', (done) => {
  const out = []; let n = 0;
  const server = net.createServer((c) => {
    n++; out.push('conn:' + (c instanceof net.Socket) + ':' + c.remoteAddress);
    c.end('hi' + n);
  });
  server.on('connection', () => out.push('connection-event'));
  server.listen(0, '127.0.0.1', () => {
    let closed = 0; const port = server.address().port;
    for (let i = 0; i < 2; i++) {
      const c = net.connect(port, '127.0.0.1'); let got = '';
      c.on('data', (d) => { got += d; });
      c.on('close', () => { out.push('got:' + got.slice(0, 2)); if (++closed === 2) server.close(() => { log(J(out)); done(); }); });
    }
  });
});
add('bad-ports', (done) => {
  const server = net.createServer(); const out = [];
  // (a string that is not a number, e.g. listen('abc') or connect('abc'), is a Unix socket path in Node)
  for (const p of [-1, 65536, 1.5, 'abc', '-1', true]) {
    if (typeof p !== 'string') {
      try { server.listen(p); out.push('listen(' + J(p) + '): no throw'); server.close(); } catch (e) { out.push('listen(' + J(p) + '):' + J([e.code, e.name, e.message])); }
    }
    try { server.listen({ port: p }); out.push('listen({port:' + J(p) + '}): no throw'); server.close(); } catch (e) { out.push('listen({port:' + J(p) + '}):' + J([e.code, e.name, e.message])); }
  }
  for (const p of [-1, 65536, 'abc', {}]) {
    if (typeof p !== 'string') try { const s = net.connect(p); s.on('error', (e) => out.push('connect(' + J(p) + ') async error ' + e.code)); out.push('connect(' + J(p) + '): no throw'); } catch (e) { out.push('connect(' + J(p) + '):' + J([e.code, e.name, e.message])); }
    try { const s = net.connect({ port: p, host: '127.0.0.1' }); s.on('error', () => {}); out.push('connect({port:' + J(p) + '}): no throw'); } catch (e) { out.push('connect({port:' + J(p) + '}):' + J([e.code, e.name, e.message])); }
  }
  try { net.connect({ port: 80, host: 5 }); } catch (e) { out.push('host5:' + J([e.code, e.message])); }
  try { net.connect(); } catch (e) { out.push('noargs:' + J([e.code, e.message])); }
  try { net.connect({}); } catch (e) { out.push('emptyopts:' + J([e.code, e.message])); }
  try { server.listen({}); } catch (e) { out.push('listen({}):' + J([e.code, e.message])); }
  server.listen(0, 5); out.push('listen(0, 5): no throw (5 is the backlog)'); server.close();
  setTimeout(() => { log(out.join('\n')); done(); }, 50);
});
next();
