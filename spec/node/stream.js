// Scenarios behind spec/stream_spec.lua: run `node spec/node/stream.js`.
'use strict';
const net = require('net');
const log = (...a) => console.log(...a);
const J = JSON.stringify;
const scenarios = [];
const add = (name, fn) => scenarios.push([name, fn]);
const next = () => { const s = scenarios.shift(); if (!s) { process.exit(0); } log('==', s[0]); s[1](next); };
// a server whose connections are handed to `onconn`; calls fn(port)
function serve(onconn, fn, opts) {
  const server = net.createServer(opts || {}, onconn);
  server.listen(0, '127.0.0.1', () => fn(server.address().port, server));
  return server;
}

add('hwm-before-connect', (done) => {
  const out = []; let got = 0;
  const server = serve((c) => { c.on('data', (d) => { got += d.length; }); c.on('end', () => { out.push('server-got:' + got); c.end(); }); }, (port) => {
    const s = net.connect(port, '127.0.0.1');
    out.push('hwm:' + s.writableHighWaterMark, 'rhwm:' + s.readableHighWaterMark);
    out.push('w1:' + s.write('a'.repeat(16383), (e) => out.push('cb1:' + e)));
    out.push('len:' + s.writableLength);
    out.push('w2:' + s.write('b', (e) => out.push('cb2:' + e)));
    out.push('len:' + s.writableLength);
    out.push('w3:' + s.write('c', (e) => out.push('cb3:' + e)));
    out.push('bytesWritten-before-connect:' + s.bytesWritten);
    s.on('drain', () => { out.push('drain:len=' + s.writableLength); s.end(); });
    s.on('close', () => { out.push('bytesWritten:' + s.bytesWritten); server.close(() => { log(J(out)); done(); }); });
  });
});
add('hwm-connected', (done) => {
  // A write that the kernel takes at once returns true even when large (Node
  // measures after handing it over), so fill the pipe: the peer does not read
  // for 100 ms and the client writes 64 KiB chunks until write() says false.
  const out = [];
  const chunk = 'x'.repeat(65536);
  let got = 0, sent = 0, n = 0;
  const server = serve((c) => {
    c.on('data', (d) => { got += d.length; }); c.on('end', () => { out.push('server-got-all:' + (got === sent)); c.end(); });
    setTimeout(() => c.resume(), 100);
  }, (port) => {
    const s = net.connect(port, '127.0.0.1', () => {
      let ok = true;
      while (ok && n < 1000) { ok = s.write(chunk); n++; sent += chunk.length; }
      out.push('write-returned-false:' + !ok, 'writableLength>=hwm:' + (s.writableLength >= s.writableHighWaterMark));
      s.once('drain', () => { out.push('drain:writableLength=' + s.writableLength); s.end(); });
    });
    s.resume();
    s.on('close', () => { out.push('bytesWritten-ok:' + (s.bytesWritten === sent)); server.close(() => { log(J(out)); done(); }); });
  }, { pauseOnConnect: true });
});
add('end-order', (done) => {
  const out = []; let got = '';
  const server = serve((c) => { c.setEncoding('latin1'); c.on('data', (d) => { got += d; }); c.on('end', () => { out.push('server-got:' + got); }); }, (port) => {
    const s = net.connect(port, '127.0.0.1', () => {
      const r = s.end('bye', (...a) => out.push('end-cb:' + a.length));
      out.push('end-returns-socket:' + (r === s), 'writableEnded:' + s.writableEnded, 'writableFinished:' + s.writableFinished);
    });
    s.on('finish', () => out.push('finish:writableFinished=' + s.writableFinished));
    s.on('end', () => out.push('end'));
    s.on('close', (h) => { out.push('close:' + h); server.close(() => { log(J(out)); done(); }); });
    s.resume();
  });
});
add('end-data-encoding', (done) => {
  let got = '';
  const server = serve((c) => { c.on('data', (d) => { got += d.toString('latin1'); }); c.on('end', () => { log(J(got)); c.end(); }); }, (port) => {
    const s = net.connect(port, '127.0.0.1', () => s.end('6869', 'hex', () => {}));
    s.on('close', () => server.close(done)); s.resume();
  });
});
add('destroy', (done) => {
  const out = [], peer = [];
  const server = serve((c) => {
    c.on('end', () => peer.push('end')); c.on('finish', () => peer.push('finish'));
    c.on('error', (e) => peer.push('error:' + e.code)); c.on('close', (h) => { peer.push('close:' + h); server.close(() => { log(J(out), J(peer)); done(); }); });
    c.resume();
  }, (port) => {
    const s = net.connect(port, '127.0.0.1', () => {
      out.push('destroyed-before:' + s.destroyed);
      const r = s.destroy();
      out.push('destroy-returns-socket:' + (r === s), 'destroyed-after:' + s.destroyed);
      const w = s.write('x', (e) => out.push('write-after-destroy-cb:' + J([e.code, e.name, e.message])));
      out.push('write-after-destroy-returns:' + w);
    });
    for (const ev of ['end', 'finish', 'error']) s.on(ev, (e) => out.push(ev + (e && e.code ? ':' + e.code : '')));
    s.on('close', (h) => out.push('close:' + h));
  });
});
add('destroy-err', (done) => {
  const out = [];
  const server = serve((c) => { c.resume(); c.on('error', () => {}); }, (port) => {
    const s = net.connect(port, '127.0.0.1', () => {
      const err = new Error('mine'); err.code = 'EMINE';
      s.on('error', (e) => out.push('error:same=' + (e === err) + ':destroyed=' + s.destroyed));
      s.destroy(err); out.push('sync');
    });
    s.on('close', (h) => { out.push('close:' + h); server.close(() => { log(J(out)); done(); }); });
  });
});
add('pause-resume', (done) => {
  const out = [];
  const server = serve((c) => { c.write('abc'); setTimeout(() => c.end('def'), 30); }, (port) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('data', (d) => out.push('data:' + d));
    s.on('end', () => out.push('end'));
    s.on('connect', () => {
      out.push('isPaused-before:' + s.isPaused());
      const r = s.pause(); out.push('pause-returns-socket:' + (r === s), 'isPaused:' + s.isPaused());
      setTimeout(() => { out.push('resume'); const r2 = s.resume(); out.push('resume-returns-socket:' + (r2 === s), 'isPaused:' + s.isPaused()); }, 100);
    });
    s.on('close', () => server.close(() => { log(J(out)); done(); }));
  });
});
add('pipe-4MiB', (done) => {
  const N = 4 * 1024 * 1024; const out = [];
  const data = Buffer.alloc(N); let x = 1;
  for (let i = 0; i < N; i++) { x = (x * 1103515245 + 12345) % 2147483648; data[i] = x >>> 16 & 255; }
  let sawPaused = false; let srvSock;
  const server = serve((c) => { srvSock = c; c.on('pipe', (src) => out.push('pipe-event:' + (src === c))); c.pipe(c); }, (port) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks = [];
    s.on('connect', () => {
      out.push('write:' + s.write(data)); s.end();
      s.pause();
      setTimeout(() => { sawPaused = srvSock.isPaused(); out.push('server-sock-writableLength>0:' + (srvSock.writableLength > 0)); s.resume(); }, 200);
    });
    s.on('data', (d) => chunks.push(d));
    s.on('close', () => {
      const got = Buffer.concat(chunks);
      out.push('sawPaused:' + sawPaused, 'len:' + got.length, 'equal:' + got.equals(data), 'bytesRead:' + s.bytesRead, 'bytesWritten:' + s.bytesWritten, 'srv:' + srvSock.bytesRead + '/' + srvSock.bytesWritten);
      server.close(() => { log(J(out)); done(); });
    });
  });
});
add('addresses-and-counts', (done) => {
  const out = [];
  const server = serve((c) => {
    out.push('srv:' + J([c.remoteAddress, c.remoteFamily, typeof c.remotePort, c.localAddress, c.localFamily, c.localPort === server.address().port]));
    c.on('data', (d) => { c.end('xyz'); });
    c.on('close', () => out.push('srv-counts:' + c.bytesRead + '/' + c.bytesWritten));
  }, (port) => {
    const s = net.connect(port, '127.0.0.1');
    out.push('before:' + J([s.remoteAddress, s.remotePort, s.remoteFamily, s.localAddress, s.localPort, s.bytesRead, s.bytesWritten, s.destroyed]));
    s.on('connect', () => {
      out.push('cli:' + J([s.remoteAddress, s.remoteFamily, s.remotePort === port, s.localAddress, s.localFamily, typeof s.localPort, s.destroyed]));
      s.write('hello');
    });
    s.on('data', () => {});
    s.on('close', () => { out.push('cli-counts:' + s.bytesRead + '/' + s.bytesWritten + ':destroyed=' + s.destroyed); server.close(() => { log(J(out)); done(); }); });
  });
});
add('binary', (done) => {
  const all = Buffer.alloc(256 * 4); for (let i = 0; i < all.length; i++) all[i] = i & 255;
  const server = serve((c) => c.pipe(c), (port) => {
    const s = net.connect(port, '127.0.0.1', () => s.end(all)); const chunks = [];
    s.on('data', (d) => chunks.push(d));
    s.on('close', () => { const got = Buffer.concat(chunks); log('len', got.length, 'equal', got.equals(all)); server.close(done); });
  });
});
add('encodings', (done) => {
  const chunks = [];
  const server = serve((c) => { c.on('data', (d) => chunks.push(d)); c.on('end', () => { log(J(Buffer.concat(chunks).toString('latin1'))); c.end(); }); }, (port) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.write('68656c6c6f00ff', 'hex');
      s.write('IHdvcmxk', 'base64', (e) => log('base64-cb', e));
      s.write('!', 'utf8');
      s.write('é', 'latin1');
      s.end();
    });
    s.on('close', () => server.close(done)); s.resume();
  });
});
add('bad-writes', (done) => {
  const out = [];
  const s = new net.Socket();
  for (const v of [5, true, {}, undefined, null]) {
    try { s.write(v); out.push(J(v) + ': no throw'); } catch (e) { out.push(String(v) + ':' + J([e.code, e.name, e.message])); }
  }
  try { s.write('x', 'bogus'); } catch (e) { out.push('bad-encoding:' + J([e.code, e.name, e.message])); }
  s.destroy();
  const server = serve((c) => c.resume(), (port) => {
    const s2 = net.connect(port, '127.0.0.1', () => {
      s2.end();
      const r = s2.write('late', (e) => out.push('cb:' + J([e.code, e.name, e.message])));
      out.push('write-after-end-returns:' + r);
    });
    s2.on('error', (e) => out.push('error-event:' + e.code));
    s2.on('close', (h) => { out.push('close:' + h); server.close(() => { log(J(out)); done(); }); });
  });
});
next();
// hex text that is not all hex digits: decoding stops at the first bad pair
for (const s of ['-1', ' 7', '0a-1ff', 'abc', '+1', '0x10', 'ffG0']) {
  console.log('hex', JSON.stringify(s), Buffer.from(s, 'hex').toString('hex'));
}
