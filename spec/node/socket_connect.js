// Scenarios behind spec/socket_connect_spec.lua: run `node spec/node/socket_connect.js`.
// Each scenario prints its name, then what Node did (ports replaced by PORT).
'use strict';
const net = require('net');
const dns = require('dns');
const fs = require('fs');
const log = (...a) => console.log(...a);
const J = JSON.stringify;
const scenarios = [];
const add = (name, fn) => scenarios.push([name, fn]);
const next = () => { const s = scenarios.shift(); if (!s) return; log('==', s[0]); s[1](next); };
const tmpPath = (tag) => `/tmp/net-spec-${process.pid}-${tag}.sock`;
const errInfo = (e) => e && J({ name: e.name, code: e.code, errno: e.errno, syscall: e.syscall, address: e.address,
  port: e.port, hostname: e.hostname, message: e.message });
const raises = (fn) => { try { fn(); return 'no throw'; } catch (e) { return J([e.code, e.name, e.message]); } };
// an echo server that ends when the client ends
const echo = (fn) => {
  const server = net.createServer((c) => { c.on('data', (d) => c.write(d)); c.on('end', () => c.end()); });
  server.listen(0, '127.0.0.1', () => fn(server.address().port, server));
};

add('socket.connect(port, host, cb): returns the socket; state right after; cb first', (done) => {
  echo((port, server) => {
    const out = [];
    const s = new net.Socket();
    const r = s.connect(port, '127.0.0.1', (...a) => out.push('cb:' + a.length));
    out.push(`returns-self:${r === s}:connecting=${s.connecting}:pending=${s.pending}:${s.readyState}`);
    s.on('connect', () => out.push(`connect:connecting=${s.connecting}:pending=${s.pending}:${s.readyState}`));
    s.on('ready', () => { out.push('ready'); s.end(); });
    s.on('close', (h) => { out.push('close:' + h); server.close(() => { log(J(out)); done(); }); });
  });
});
add('the other forms: ({port, host}, cb), (String(port), host), (port, cb) with host localhost', (done) => {
  echo((port, server) => {
    const out = [];
    let n = 0;
    const fin = () => { if (++n === 3) server.close(() => { log(J(out.sort())); done(); }); };
    const one = (name, s) => {
      s.on('connect', () => { out.push(`${name}:${s.remoteAddress}:${s.remotePort === port}`); s.end(); });
      s.resume();
      s.on('close', fin);
    };
    one('options', new net.Socket().connect({ port, host: '127.0.0.1' }, () => {}));
    one('string-port', new net.Socket().connect(String(port), '127.0.0.1'));
    one('port-cb', new net.Socket().connect(port, () => {}));
  });
});
add('connect(path, cb) and connect({path}) over a Unix socket: no lookup, no IP fields', (done) => {
  const path = tmpPath('a');
  const out = [];
  const server = net.createServer((c) => {
    out.push(`server-side:${J(c.address())}:${c.remoteAddress}:${c.remotePort}:${c.localAddress}`);
    c.end('hi');
  });
  server.listen(path, () => {
    const s = net.connect(path, (...a) => out.push('cb:' + a.length));
    out.push(`connecting=${s.connecting}:${s.readyState}`);
    s.on('lookup', () => out.push('lookup'));
    s.on('connect', () => out.push(`connect:${J(s.address())}:${s.remoteAddress}:${s.remotePort}:${s.remoteFamily}` +
      `:${s.localAddress}:${s.localPort}:${s.readyState}:pending=${s.pending}`));
    s.on('data', (d) => out.push('data:' + d));
    s.on('close', (h) => {
      out.push('close:' + h);
      const s2 = net.connect({ path }, () => out.push('options-path-connect'));
      s2.on('data', (d) => out.push('data2:' + d));
      s2.on('close', () => server.close(() => { out.push('unlinked:' + !fs.existsSync(path)); log(J(out)); done(); }));
    });
  });
});
add("connect({path, port}): path wins, the TCP options are ignored", (done) => {
  const path = tmpPath('b');
  const out = [];
  const server = net.createServer((c) => c.end('unix'));
  server.listen(path, () => {
    const s = net.connect({ path, port: 1, host: '10.255.255.1' });
    s.on('data', (d) => out.push('data:' + d));
    s.on('close', (h) => { out.push('close:' + h); server.close(() => { log(J(out)); done(); }); });
  });
});
add('abstract Unix socket "\\0name" (Linux)', (done) => {
  const name = `\0net-spec-${process.pid}`;
  const out = [];
  const server = net.createServer((c) => c.end('abstract'));
  server.listen(name, () => {
    out.push('server-address-is-name:' + (server.address() === name));
    const s = net.connect({ path: name }, () => out.push('connect'));
    s.on('data', (d) => out.push('data:' + d));
    s.on('close', (h) => { out.push('close:' + h); server.close(() => { log(J(out)); done(); }); });
  });
});
add('connect to a missing path: ENOENT with Node fields, then close(true)', (done) => {
  const path = tmpPath('missing');
  const out = [];
  const s = net.connect(path, () => out.push('connect'));
  s.on('error', (e) => out.push('error:' + errInfo(e).replace(path, 'PATH')));
  s.on('close', (h) => { out.push('close:' + h); log(J(out)); done(); });
});
// lookup: the user function is called synchronously from connect(), with
// Node's dns options; its answer gives one 'lookup' event per address
const lookupCase = (title, opts, answer) => add('lookup ' + title, (done) => {
  echo((port, server) => {
    const out = [];
    const s = net.connect({ ...opts, port, lookup: (host, o, cb) => {
      out.push(`called:${host}:${J(o)}`);
      answer(cb);
    } });
    out.push('connect-returned');
    s.on('lookup', (...a) => out.push('lookup:' + J(a.map((x) => (x instanceof Error ? x.code : x)))));
    s.on('connect', () => { out.push('connect:' + s.remoteAddress); s.end(); });
    s.on('error', (e) => out.push('error:' + errInfo(e)));
    s.resume();
    s.on('close', (h) => { out.push('close:' + h); server.close(() => { log(J(out)); done(); }); });
  });
});
lookupCase('default options: {hints: ADDRCONFIG, all: true}; array answer', { host: 'a.invalid' },
  (cb) => setImmediate(cb, null, [{ address: '127.0.0.1', family: 4 }]));
lookupCase("two addresses: a 'lookup' event for each, then the one that answers", { host: 'b.invalid' },
  (cb) => setImmediate(cb, null, [{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }]));
lookupCase('family 4: {family: 4, hints: 0}; (address, family) answer', { host: 'c.invalid', family: 4 },
  (cb) => setImmediate(cb, null, '127.0.0.1', 4));
lookupCase('hints passed through', { host: 'd.invalid', family: 6, hints: dns.ADDRCONFIG | dns.V4MAPPED },
  (cb) => setImmediate(cb, null, '127.0.0.1', 4));
lookupCase('with localAddress: {hints: ADDRCONFIG}, no all', { host: 'e.invalid', localAddress: '127.0.0.1' },
  (cb) => setImmediate(cb, null, '127.0.0.1', 4));
lookupCase('error: lookup event with the error, then error (same value), close(true)', { host: 'f.invalid', family: 4 },
  (cb) => { const e = new Error('getaddrinfo ENOTFOUND f.invalid'); e.code = 'ENOTFOUND'; setImmediate(cb, e); });
lookupCase('an answer that is not an IP: ERR_INVALID_IP_ADDRESS after the lookup event', { host: 'g.invalid', family: 4 },
  (cb) => setImmediate(cb, null, 'not-an-ip', 4));
lookupCase('an IP host: lookup is not called', { host: '127.0.0.1' }, (cb) => cb(null, '127.0.0.1', 4));
lookupCase('answered synchronously: the lookup event fires inside connect()', { host: 'h.invalid', family: 4 },
  (cb) => cb(null, '127.0.0.1', 4));
add('the error passed to the lookup callback reaches error listeners as the same value', (done) => {
  const mine = new Error('mine');
  const s = net.connect({ port: 9, host: 'x.invalid', family: 4, lookup: (h, o, cb) => setImmediate(cb, mine) });
  const out = [];
  s.on('lookup', (e) => out.push('lookup-same:' + (e === mine)));
  s.on('error', (e) => out.push('error-same:' + (e === mine)));
  s.on('close', (h) => { out.push('close:' + h); log(J(out)); done(); });
});
add("family 4 with 'localhost' (real lookup): one lookup event; '::1' gives IPv6 fields", (done) => {
  const out = [];
  const s4 = net.createServer((c) => c.end('v4'));
  const s6 = net.createServer((c) => c.end('v6'));
  s4.listen(0, '127.0.0.1', () => s6.listen(0, '::1', () => {
    const a = net.connect({ port: s4.address().port, host: 'localhost', family: 4 });
    a.on('lookup', (...x) => out.push('v4-lookup:' + J(x)));
    a.on('connect', () => out.push(`v4:${a.remoteAddress}:${a.remoteFamily}:${a.localFamily}:${a.address().family}`));
    a.on('data', (d) => out.push('v4-data:' + d));
    a.on('close', () => {
      const b = net.connect({ port: s6.address().port, host: '::1' });
      b.on('lookup', (...x) => out.push('v6-lookup:' + J(x)));
      b.on('connect', () => out.push(`v6:${b.remoteAddress}:${b.remoteFamily}:${b.localAddress}:${b.localFamily}:${b.address().family}`));
      b.on('data', (d) => out.push('v6-data:' + d));
      b.on('close', () => s4.close(() => s6.close(() => { log(J(out)); done(); })));
    });
  }));
});
add('localAddress and localPort: the server sees that port', (done) => {
  echo((port, server) => {
    const out = [];
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const lp = probe.address().port;
      probe.close(() => {
        server.once('connection', (c) => out.push('server-sees-localPort:' + (c.remotePort === lp)));
        const s = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.1', localPort: lp });
        s.on('connect', () => { out.push(`local:${s.localAddress}:${s.localPort === lp}`); s.end(); });
        s.resume();
        s.on('close', (h) => { out.push('close:' + h); server.close(() => { log(J(out)); done(); }); });
      });
    });
  });
});
add('localPort taken by a listening server: EADDRINUSE from bind, close(true), no connect', (done) => {
  echo((port, server) => {
    const out = [];
    const s = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.1', localPort: port });
    s.on('connect', () => out.push('connect'));
    s.on('error', (e) => out.push('error:' + errInfo(e).split(String(port)).join('PORT')));
    s.on('close', (h) => { out.push('close:' + h); server.close(() => { log(J(out)); done(); }); });
  });
});
add('bad options raise at once', (done) => {
  const out = [];
  out.push('localAddress:' + raises(() => net.connect({ port: 80, host: '127.0.0.1', localAddress: 'nope' })));
  out.push('localPort:' + raises(() => net.connect({ port: 80, host: '127.0.0.1', localPort: '1234' })));
  out.push('lookup:' + raises(() => net.connect({ port: 80, host: 'x.invalid', lookup: 5 })));
  out.push('hints:' + raises(() => net.connect({ port: 80, host: 'x.invalid', hints: 12345 })));
  out.push('hints-type:' + raises(() => net.connect({ port: 80, host: 'x.invalid', hints: 'x' })));
  out.push('path:' + raises(() => net.connect({ path: 5 })));
  out.push('timeout:' + raises(() => net.connect({ port: 80, host: '127.0.0.1', timeout: 'x' })));
  for (const l of out) log(l);
  done();
});
add("reconnecting after 'close': a fresh stream, counters from 0, each cb once", (done) => {
  echo((port, server) => {
    const out = [];
    const s = new net.Socket();
    let n = 0;
    s.connect(port, '127.0.0.1', () => out.push('cb1'));
    s.on('connect', () => { n++; out.push(`connect${n}:${s.bytesRead}/${s.bytesWritten}`); s.end('round' + n); });
    s.on('data', (d) => out.push('data:' + d));
    s.on('end', () => out.push('end'));
    s.on('finish', () => out.push('finish'));
    s.on('close', (h) => {
      out.push(`close:${h}:destroyed=${s.destroyed}:${s.readyState}:${s.bytesRead}/${s.bytesWritten}`);
      if (n === 1) {
        const r = s.connect({ port, host: '127.0.0.1' }, () => out.push('cb2'));
        out.push(`again:${r === s}:connecting=${s.connecting}:destroyed=${s.destroyed}:${s.readyState}:` +
          `${s.bytesRead}/${s.bytesWritten}:writableEnded=${s.writableEnded}`);
      } else {
        server.close(() => { log(J(out)); done(); });
      }
    });
  });
});
add('createConnection({timeout}): socket.timeout set at once; timeout fires, socket stays open', (done) => {
  echo((port, server) => {
    const out = [];
    const t0 = Date.now();
    const s = net.createConnection({ port, host: '127.0.0.1', timeout: 80 }, () => out.push('connect:timeout=' + s.timeout));
    out.push('timeout:' + s.timeout);
    s.on('timeout', () => { out.push(`timeout-event:late-enough=${Date.now() - t0 >= 70}:destroyed=${s.destroyed}`); s.end(); });
    s.on('close', (h) => { out.push('close:' + h); server.close(() => { log(J(out)); done(); }); });
    out.push('ctor-ignores-timeout:' + new net.Socket({ timeout: 50 }).timeout);
  });
});
next();
