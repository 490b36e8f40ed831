// Scenarios behind spec/socket_props_spec.lua: run `node spec/node/socket_props.js`.
'use strict';
const net = require('net');
const log = (...a) => console.log(...a);
const J = JSON.stringify;
const scenarios = [];
const add = (name, fn) => scenarios.push([name, fn]);
const next = () => { const s = scenarios.shift(); if (!s) return; log('==', s[0]); s[1](next); };
const serve = (onconn, fn, opts) => {
  const server = net.createServer(opts || {}, onconn);
  server.listen(0, '127.0.0.1', () => fn(server.address().port, server));
};
const props = (s) => J({
  connecting: s.connecting, pending: s.pending, destroyed: s.destroyed, readyState: s.readyState,
  readable: s.readable, writable: s.writable, bufferSize: s.bufferSize, bytesRead: s.bytesRead,
  bytesWritten: s.bytesWritten, timeout: s.timeout, server: s.server, address: s.address(),
  localAddress: s.localAddress, localPort: s.localPort, localFamily: s.localFamily,
  remoteAddress: s.remoteAddress, remotePort: s.remotePort, remoteFamily: s.remoteFamily,
  writableLength: s.writableLength, readableLength: s.readableLength,
  writableHighWaterMark: s.writableHighWaterMark, readableHighWaterMark: s.readableHighWaterMark,
  writableEnded: s.writableEnded, writableFinished: s.writableFinished, readableEnded: s.readableEnded,
  allowHalfOpen: s.allowHalfOpen,
});

add('a fresh net.Socket()', (done) => {
  log(props(new net.Socket()));
  done();
});
add('highWaterMark options', (done) => {
  const a = new net.Socket({ highWaterMark: 1000 });
  const b = new net.Socket({ readableHighWaterMark: 10, writableHighWaterMark: 20 });
  log(J([a.readableHighWaterMark, a.writableHighWaterMark, b.readableHighWaterMark, b.writableHighWaterMark]));
  done();
});
add('while connecting, once connected, after end(), after close', (done) => {
  serve((c) => { c.on('end', () => setTimeout(() => c.end('bye'), 30)); c.resume(); }, (port, server) => {
    const out = [];
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    out.push('connecting:' + props(s));
    s.on('connect', () => {
      out.push('connected:' + props(s).replace(String(s.localPort), 'LPORT').replace(String(port), 'PORT'));
      s.end('abc');
      out.push(`after-end:${s.readyState}:writable=${s.writable}:writableEnded=${s.writableEnded}:` +
        `writableFinished=${s.writableFinished}:bufferSize=${s.bufferSize}`);
    });
    s.on('finish', () => out.push(`finish:${s.readyState}:writableFinished=${s.writableFinished}`));
    s.on('data', (d) => out.push('data:' + d + ':' + s.readyState));
    s.on('end', () => out.push(`end:${s.readyState}:readableEnded=${s.readableEnded}:readable=${s.readable}`));
    s.on('close', (h) => {
      out.push(`close:${h}:` + props(s).replace(String(port), 'PORT'));
      server.close(() => { for (const l of out) log(l); done(); });
    });
  }, { allowHalfOpen: true });
});
add("readyState 'writeOnly': allowHalfOpen and the peer ended first", (done) => {
  serve((c) => { c.on('data', (d) => { c.end(); }); c.on('end', () => {}); }, (port, server) => {
    const out = [];
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => s.write('go'));
    s.on('end', () => {
      out.push(`end:${s.readyState}:readable=${s.readable}:writable=${s.writable}`);
      setTimeout(() => { out.push('later:' + s.readyState); s.end(); }, 20);
    });
    s.resume();
    s.on('close', () => { out.push('close:' + s.readyState); server.close(() => { log(J(out)); done(); }); });
  });
});
add('remote*/local* and address() are kept after close once read; bytes counters after close', (done) => {
  serve((c) => c.end('xyz'), (port, server) => {
    const out = [];
    const s = net.connect(port, '127.0.0.1');
    const t = net.connect(port, '127.0.0.1');
    s.on('connect', () => { out.push('s-read:' + s.remoteAddress + ':' + s.localAddress); });
    s.resume(); t.resume();
    let n = 0;
    const fin = () => { if (++n === 2) server.close(() => { log(J(out)); done(); }); };
    s.on('close', () => {
      out.push(`s-after-close:${s.remoteAddress}:${s.remotePort === port}:${s.remoteFamily}:${s.localAddress}:` +
        `${typeof s.localPort}:${J(s.address())}:${s.bytesRead}`);
      fin();
    });
    t.on('close', () => {
      out.push(`t-after-close:${t.remoteAddress}:${t.remotePort}:${t.localAddress}:${J(t.address())}:${t.bytesRead}`);
      fin();
    });
  });
});
add('socket.server on accepted sockets; connecting false and pending true after an error', (done) => {
  const out = [];
  const server = net.createServer((c) => {
    out.push(`accepted:server=${c.server === server}:_server=${c._server === server}:pending=${c.pending}:` +
      `${c.readyState}:connecting=${c.connecting}:timeout=${c.timeout}`);
    c.end();
  });
  server.listen(0, '127.0.0.1', () => {
    const port = server.address().port;
    const s = net.connect(port, '127.0.0.1');
    s.resume();
    s.on('close', () => {
      out.push('client:server=' + s.server);
      server.close(() => {
        const e = net.connect(port, '127.0.0.1');
        e.on('error', (err) => out.push(`error:${err.code}:connecting=${e.connecting}:pending=${e.pending}:` +
          `${e.readyState}:destroyed=${e.destroyed}`));
        e.on('close', () => { out.push(`close:pending=${e.pending}`); log(J(out)); done(); });
      });
    });
  });
});
add('timeout property: undefined, then the ms, 0 after setTimeout(0)', (done) => {
  const s = new net.Socket();
  const out = [s.timeout];
  s.setTimeout(100); out.push(s.timeout);
  s.setTimeout(250.7); out.push(s.timeout);
  s.setTimeout(0); out.push(s.timeout);
  log(J(out));
  done();
});
// (writableLength counts what JavaScript holds: string length for strings,
// so only ASCII text is used while it is read)
add('bytesWritten counts encoded bytes; bufferSize and writableLength while connecting', (done) => {
  serve((c) => { c.resume(); c.on('end', () => c.end()); }, (port, server) => {
    const out = [];
    const s = net.connect(port, '127.0.0.1');
    s.write('hello');
    out.push(`held:bytesWritten=${s.bytesWritten}:writableLength=${s.writableLength}:bufferSize=${s.bufferSize}`);
    s.write('\u00e9\u20ac');      // 5 bytes in UTF-8
    s.write('ff00', 'hex');       // 2 bytes
    s.write('\u00e9', 'latin1');  // 1 byte
    s.write('aGk=', 'base64');    // 2 bytes
    out.push(`connecting:bytesWritten=${s.bytesWritten}:writableLength=${s.writableLength}:bufferSize=${s.bufferSize}`);
    s.on('connect', () => out.push(`connect:writableLength=${s.writableLength}`));
    s.end();
    s.on('close', () => { out.push('close:bytesWritten=' + s.bytesWritten); server.close(() => { log(J(out)); done(); }); });
  });
});
add('bytesRead and readableLength while paused', (done) => {
  serve((c) => c.end('0123456789'), (port, server) => {
    const out = [];
    const s = net.connect(port, '127.0.0.1');
    s.pause();
    setTimeout(() => {
      out.push(`paused:bytesRead=${s.bytesRead}:readableLength=${s.readableLength}:readableEnded=${s.readableEnded}`);
      s.on('data', (d) => out.push('data:' + d));
      s.on('end', () => out.push(`end:readableLength=${s.readableLength}:readableEnded=${s.readableEnded}`));
      s.resume();
    }, 50);
    s.on('close', () => server.close(() => { log(J(out)); done(); }));
  });
});
next();
