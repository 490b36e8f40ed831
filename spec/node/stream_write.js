// Scenarios behind spec/stream_write_spec.lua (write() results, write after
// end, writableNeedDrain and high-water marks, objectMode options, pending
// write callbacks on reset/destroy, assigning fields): run
// `node spec/node/stream_write.js [scenario]`.
// Not strict mode on purpose: assigning a getter-only field is ignored in
// sloppy mode (strict mode throws), which is what the Lua side does.
const net = require('net');
const log = (...a) => console.log(...a);
const J = JSON.stringify;
const scenarios = [];
const add = (name, fn) => scenarios.push([name, fn]);
const only = process.argv[2];
const next = () => {
  let s = scenarios.shift();
  while (s && only && s[0] !== only) s = scenarios.shift();
  if (!s) { process.exit(0); }
  log('==', s[0]); s[1](next);
};
function serve(onconn, fn, opts) {
  const server = net.createServer(opts || {}, onconn);
  server.listen(0, '127.0.0.1', () => fn(server.address().port, server));
  return server;
}
const later = (ms, fn) => setTimeout(fn, ms);
const code = (e) => (e ? e.code : String(e));
// every event of interest on s, into out, with a prefix
function watch(s, out, p) {
  for (const ev of ['error', 'finish', 'end', 'close', 'drain']) {
    s.on(ev, (x) => out.push(p + ev + (ev === 'error' ? ':' + x.code : ev === 'close' ? ':' + x : '')));
  }
}

add('write-returns', (done) => {
  const out = [];
  // never connected: ERR_SOCKET_CLOSED to the cb and as 'error'
  const n = new net.Socket();
  watch(n, out, 'new:');
  out.push('new:returns:' + n.write('x', (e) => out.push('new:cb:' + code(e))));
  const server = serve((c) => { c.resume(); c.on('end', () => c.end()); }, (port) => {
    const s = net.connect(port, '127.0.0.1');
    out.push('connecting:' + s.write('a') + ':' + s.write('b', () => out.push('connecting:cb')) +
      ':' + s.write('6364', 'hex') + ':' + s.write('6566', 'hex', () => out.push('connecting:hex-cb')));
    s.on('connect', () => {
      out.push('open:' + s.write('g') + ':' + s.write('h', () => {}) + ':' + s.write('69', 'hex') + ':' + s.write('6a', 'hex', () => {}));
      s.end();
      out.push('ended:' + s.write('k', (e) => out.push('ended:cb:' + code(e))));
    });
    s.on('error', (e) => {
      out.push('open:error:' + e.code);
      const d = new net.Socket();
      d.destroy();
      out.push('destroyed:' + d.write('x') + ':' + d.write('y', (e2) => out.push('destroyed:cb:' + code(e2))) + ':' + d.write('7a', 'hex'));
      d.on('close', () => server.close(() => { log(J(out)); done(); }));
    });
  });
});

function afterEnd(name, setup) {
  add(name, (done) => {
    const out = [];
    const server = serve((c) => { c.resume(); c.on('error', () => {}); }, (port) => {
      const s = net.connect(port, '127.0.0.1');
      watch(s, out, '');
      setup(s, out);
      s.on('close', () => {
        out.push('destroyed:' + s.destroyed, 'errored:' + code(s.errored), 'writableFinished:' + s.writableFinished);
        server.close(() => { log(J(out)); done(); });
      });
    });
  });
}
// end(cb) then write(cb) on an open socket
afterEnd('write-after-end-open', (s, out) => s.on('connect', () => {
  s.end((e) => out.push('end-cb:' + code(e)));
  out.push('write:' + s.write('late', (e) => out.push('write-cb:' + code(e) + ':same-as-errored=' + (e === s.errored))));
  out.push('sync:destroyed=' + s.destroyed + ':writable=' + s.writable);
}));
// without callbacks
afterEnd('write-after-end-nocb', (s, out) => s.on('connect', () => {
  s.end();
  out.push('write:' + s.write('late'));
}));
// while connecting
afterEnd('write-after-end-connecting', (s, out) => {
  s.end((e) => out.push('end-cb:' + code(e)));
  out.push('write:' + s.write('late', (e) => out.push('write-cb:' + code(e))));
});
// after 'finish'
afterEnd('write-after-finish', (s, out) => s.on('connect', () => {
  s.end((e) => out.push('end-cb:' + code(e)));
  s.once('finish', () => {
    out.push('write:' + s.write('late', (e) => out.push('write-cb:' + code(e))));
  });
}));
// end(data) after end
afterEnd('end-data-after-end', (s, out) => s.on('connect', () => {
  s.end((e) => out.push('end1-cb:' + code(e)));
  s.end('more', (e) => out.push('end2-cb:' + code(e)));
}));

add('need-drain', (done) => {
  const out = [];
  const chunk = Buffer.alloc(65536, 'x');
  const fill = (s) => { let ok = true, n = 0; while (ok && n < 1000) { ok = s.write(chunk); n++; } return ok; };
  let conns = 0;
  const server = serve((c) => {
    conns++;
    later(150, () => c.resume());
    c.on('error', () => {});
  }, (port) => {
    const a = net.connect(port, '127.0.0.1', () => {
      out.push('a:before:' + a.writableNeedDrain);
      out.push('a:fill:' + fill(a) + ':needDrain=' + a.writableNeedDrain);
      a.writableNeedDrain = false;
      out.push('a:assigned:' + a.writableNeedDrain);
      a.once('drain', () => { out.push('a:drain:' + a.writableNeedDrain); a.end(); });
    });
    a.on('close', () => {
      const b = net.connect(port, '127.0.0.1', () => {
        fill(b);
        out.push('b:full:' + b.writableNeedDrain);
        b.end();
        out.push('b:after-end:' + b.writableNeedDrain);
      });
      b.on('close', () => {
        const c = net.connect(port, '127.0.0.1', () => {
          fill(c);
          out.push('c:full:' + c.writableNeedDrain);
          c.destroy();
          out.push('c:after-destroy:' + c.writableNeedDrain);
        });
        c.on('close', () => server.close(() => { out.push('conns:' + conns); log(J(out)); done(); }));
      });
    });
  }, { pauseOnConnect: true });
});

add('hwm-assign-ignored', (done) => {
  const out = [];
  const s = new net.Socket();
  s.writableHighWaterMark = 5;
  s.readableHighWaterMark = 5;
  out.push('assigned:' + s.writableHighWaterMark + ':' + s.readableHighWaterMark);
  s.writableHighWaterMark = undefined;
  out.push('assigned-undefined:' + s.writableHighWaterMark);
  const server = serve((c) => { c.resume(); c.on('end', () => c.end()); }, (port) => {
    s.connect(port, '127.0.0.1');
    out.push('w16383:' + s.write(Buffer.alloc(16383)) + ':w1:' + s.write('x') + ':needDrain=' + s.writableNeedDrain);
    s.on('drain', () => { out.push('drain'); s.end(); });
    s.resume();
    s.on('close', () => server.close(() => { log(J(out)); done(); }));
  });
});

add('hwm-options', (done) => {
  const out = [];
  const big = new net.Socket({ writableHighWaterMark: 64 * 1024 * 1024 });
  out.push('big:' + big.writableHighWaterMark + ':' + big.readableHighWaterMark);
  const both = new net.Socket({ highWaterMark: 1000 });
  out.push('hwm:' + both.writableHighWaterMark + ':' + both.readableHighWaterMark);
  const mixed = new net.Socket({ highWaterMark: 1000, readableHighWaterMark: 2000, writableHighWaterMark: 3000 });
  out.push('mixed:' + mixed.writableHighWaterMark + ':' + mixed.readableHighWaterMark);
  const sides = new net.Socket({ readableHighWaterMark: 2000, writableHighWaterMark: 3000 });
  out.push('sides:' + sides.writableHighWaterMark + ':' + sides.readableHighWaterMark);
  const zero = new net.Socket({ highWaterMark: 0 });
  out.push('zero:' + zero.writableHighWaterMark + ':' + zero.readableHighWaterMark);
  for (const bad of [-1, 1000.7, NaN, Infinity, '5', true]) {
    try { new net.Socket({ highWaterMark: bad }); out.push('bad:' + bad + ':no-throw'); } catch (e) { out.push('bad:' + e.code + ':' + e.name + ':' + e.message); }
  }
  try { new net.Socket({ readableHighWaterMark: 2.5 }); } catch (e) { out.push('bad-r:' + e.code + ':' + e.message); }
  try { new net.Socket({ writableHighWaterMark: -3 }); } catch (e) { out.push('bad-w:' + e.code + ':' + e.message); }
  try { new net.Socket({ highWaterMark: null, writableHighWaterMark: 7 }).destroy(); out.push('null-hwm:ok'); } catch (e) { out.push('null-hwm:' + e.code); }
  [big, both, mixed, sides, zero].forEach((x) => x.destroy());
  const server = serve((c) => { c.resume(); c.on('end', () => c.end()); }, (port) => {
    const s = net.connect({ port, host: '127.0.0.1', writableHighWaterMark: 64 * 1024 * 1024 });
    out.push('connect-opt:' + s.writableHighWaterMark);
    out.push('big-write:' + s.write(Buffer.alloc(1024 * 1024)) + ':needDrain=' + s.writableNeedDrain);
    const t = net.connect({ port, host: '127.0.0.1', highWaterMark: 1000 });
    out.push('small-write:' + t.write(Buffer.alloc(999)) + ':' + t.write('x') + ':needDrain=' + t.writableNeedDrain);
    let left = 2;
    const fin = () => { if (--left === 0) server.close(() => { log(J(out)); done(); }); };
    t.on('drain', () => { out.push('t:drain'); t.end(); });
    s.end();
    s.resume(); t.resume();
    s.on('close', fin); t.on('close', fin);
  });
});

add('object-mode', (done) => {
  const out = [];
  const tries = [
    { objectMode: true }, { readableObjectMode: true }, { writableObjectMode: 1 },
    { readableObjectMode: 0, writableObjectMode: 'yes' }, { objectMode: false }, { objectMode: 0 },
    { objectMode: '' }, { objectMode: null }, { objectMode: true, readableObjectMode: true },
  ];
  for (const o of tries) {
    try { new net.Socket(o).destroy(); out.push(J(o) + ':ok'); } catch (e) { out.push(J(o) + ':' + e.code + ':' + e.name + ':' + e.message); }
  }
  try { net.connect({ port: 1, objectMode: true }); out.push('connect:ok'); } catch (e) { out.push('connect:' + e.code + ':' + e.message); }
  const s = new net.Socket();
  s.on('error', () => {});
  try { s.connect({ port: 1, host: '127.0.0.1', objectMode: true }); out.push('method-connect:ok'); } catch (e) { out.push('method-connect:' + e.code); }
  s.destroy();
  log(J(out));
  setImmediate(done);
});

add('reset-pending-writes', (done) => {
  const out = [];
  const server = serve((c) => {
    later(100, () => c.resetAndDestroy());
  }, (port) => {
    const s = net.connect(port, '127.0.0.1', () => {
      const big = Buffer.alloc(32 * 1024 * 1024, 'x');
      out.push('w1:' + s.write(big, (e) => out.push('cb1:' + code(e))));
      out.push('w2:' + s.write('q2', (e) => out.push('cb2:' + code(e) + ':same=' + (e === s.errored))));
      out.push('w3:' + s.write('q3', (e) => out.push('cb3:' + code(e))));
      out.push('writableLength>big:' + (s.writableLength > 0));
    });
    s.on('error', (e) => out.push('error:' + e.code + ':' + e.syscall));
    s.on('close', (h) => { out.push('close:' + h); server.close(() => { log(J(out)); done(); }); });
  }, { pauseOnConnect: true });
});

add('destroy-pending-writes', (done) => {
  const out = [];
  let peer;
  const server = serve((c) => { peer = c; c.on('error', () => {}); }, (port) => {
    const s = net.connect(port, '127.0.0.1', () => {
      const big = Buffer.alloc(32 * 1024 * 1024, 'x');
      out.push('w1:' + s.write(big, (e) => out.push('cb1:' + code(e))));
      s.write('q2', (e) => out.push('cb2:' + code(e)));
      s.write('q3', (e) => out.push('cb3:' + code(e)));
      s.end((e) => out.push('end-cb:' + code(e)));
      later(50, () => { s.destroy(); out.push('destroyed'); });
    });
    watch(s, out, '');
    s.on('close', () => { peer.destroy(); server.close(() => { log(J(out)); done(); }); });
  }, { pauseOnConnect: true });
});

add('destroy-err-pending-writes', (done) => {
  const out = [];
  let peer;
  const server = serve((c) => { peer = c; c.on('error', () => {}); }, (port) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.write(Buffer.alloc(32 * 1024 * 1024, 'x'), (e) => out.push('cb1:' + code(e)));
      s.write('q2', (e) => out.push('cb2:' + code(e)));
      later(50, () => { const e = new Error('mine'); e.code = 'EMINE'; s.destroy(e); });
    });
    watch(s, out, '');
    s.on('close', () => { peer.destroy(); server.close(() => { log(J(out)); done(); }); });
  }, { pauseOnConnect: true });
});

add('assign-fields', (done) => {
  const out = [];
  const server = serve((c) => { c.on('data', (d) => out.push('peer-data:' + d)); c.on('end', () => { out.push('peer-end'); c.end(); }); c.on('error', () => {}); }, (port) => {
    const s = net.connect(port, '127.0.0.1', () => {
      const before = {};
      const ro = ['writableHighWaterMark', 'readableHighWaterMark', 'bytesRead', 'bytesWritten', 'writableNeedDrain',
        'writableLength', 'readableLength', 'writableEnded', 'writableFinished', 'readableEnded', 'writableCorked',
        'readableObjectMode', 'writableObjectMode', 'closed', 'errored', 'pending', 'readyState', 'readableAborted',
        'readableDidRead', 'readableEncoding', 'localPort', 'remotePort', 'remoteAddress', 'bufferSize'];
      for (const k of ro) { before[k] = s[k]; s[k] = 12345; }
      const changed = ro.filter((k) => s[k] !== before[k]);
      out.push('getter-only-changed:' + J(changed));
      s.id = 7; out.push('own-field:' + s.id);
      // readable = false: the getter says so; reading still works
      s.readable = false; out.push('readable=false:' + s.readable + ':readyState=' + s.readyState);
      s.readable = true; out.push('readable=true:' + s.readable);
      s.writable = false; out.push('writable=false:' + s.writable + ':readyState=' + s.readyState);
      out.push('write-when-writable-false:' + s.write('w1'));
      s.writable = 1; out.push('writable=1:' + s.writable);
      // destroyed = true: state only; writes fail, destroy() does nothing
      s.destroyed = true;
      out.push('destroyed=true:' + s.destroyed + ':writable=' + s.writable + ':readable=' + s.readable);
      out.push('write-when-destroyed:' + s.write('w2', (e) => out.push('w2-cb:' + code(e))));
      s.destroyed = false;
      out.push('destroyed=false:' + s.destroyed + ':writable=' + s.writable);
      out.push('write-again:' + s.write('w3', (e) => out.push('w3-cb:' + code(e))));
      s.readableFlowing = false; out.push('flowing=false:' + s.readableFlowing + ':isPaused=' + s.isPaused());
      s.readableFlowing = true; out.push('flowing=true:' + s.readableFlowing);
      out.push('read:' + s.read());
      s.end('bye', () => out.push('end-cb'));
    });
    watch(s, out, '');
    s.on('close', () => server.close(() => { log(J(out)); done(); }));
  });
});

add('data-fields', (done) => {
  // connecting, allowHalfOpen, server and timeout are plain fields in Node:
  // an assignment is read back (and changes nothing else)
  const out = [];
  const s = new net.Socket();
  out.push('before:' + J([s.timeout, s.server, s.allowHalfOpen, s.connecting]));
  s.timeout = 5; s.server = 'srv'; s.allowHalfOpen = true;
  out.push('after:' + J([s.timeout, s.server, s.allowHalfOpen]));
  s.setTimeout(100);
  out.push('setTimeout:' + s.timeout);
  s.timeout = 7;
  out.push('assigned-again:' + s.timeout);
  s.destroy();
  log(J(out));
  setImmediate(done);
});

add('readable-false-then-end', (done) => {
  // readable = false: 'finish' destroys the socket without waiting for the peer's end
  const out = [];
  const server = serve((c) => { c.on('end', () => { out.push('peer-end'); later(50, () => c.end()); }); c.resume(); c.on('close', () => out.push('peer-close')); }, (port) => {
    const s = net.connect(port, '127.0.0.1', () => { s.readable = false; s.end('x'); });
    watch(s, out, '');
    s.on('close', () => { out.push('destroyed:' + s.destroyed); later(100, () => server.close(() => { log(J(out)); done(); })); });
  });
});

add('pipe-end-order', (done) => {
  const out = [];
  let srcConn;
  const server = serve((c) => {
    if (!srcConn) { srcConn = c; c.write('hello'); later(50, () => c.end()); return; }
    let got = '';
    c.on('data', (d) => { got += d; });
    c.on('end', () => { out.push('sink-got:' + got); c.end(); });
  }, (port) => {
    const src = net.connect(port, '127.0.0.1', () => {
      const dest = net.connect(port, '127.0.0.1', () => {
        dest.on('pipe', (x) => out.push('pipe:' + (x === src)));
        dest.on('unpipe', (x) => out.push('unpipe:' + (x === src)));
        dest.on('finish', () => out.push('dest-finish'));
        // what pipe() adds is gone once the destination closes (counted
        // against the listeners there before pipe(), the user's included)
        const counts = (x) => ['data', 'end', 'drain', 'finish', 'close', 'unpipe', 'error'].map((n) => x.listenerCount(n)).join(',');
        let before;
        dest.on('close', () => { out.push('dest-close', 'listeners-as-before:' + (counts(src) + '/' + counts(dest) === before)); server.close(() => { log(J(out)); done(); }); });
        src.on('end', () => out.push('src-end'));
        before = counts(src) + '/' + counts(dest);
        out.push('returns-dest:' + (src.pipe(dest) === dest));
      });
    });
  });
});

add('pipe-end-false', (done) => {
  const out = [];
  let first = true;
  const server = serve((c) => {
    if (first) { first = false; c.write('hello'); later(50, () => c.end()); return; }
    let got = '';
    c.on('data', (d) => { got += d; });
    c.on('end', () => { out.push('sink-got:' + got); c.end(); });
  }, (port) => {
    const src = net.connect(port, '127.0.0.1', () => {
      const dest = net.connect(port, '127.0.0.1', () => {
        dest.on('unpipe', () => out.push('unpipe:writable=' + dest.writable));
        dest.on('finish', () => out.push('dest-finish'));
        src.on('end', () => {
          out.push('src-end');
          setImmediate(() => { out.push('dest-writable:' + dest.writable); dest.end(' world'); });
        });
        dest.on('close', () => { out.push('dest-close'); server.close(() => { log(J(out)); done(); }); });
        src.pipe(dest, { end: false });
      });
    });
  });
});

add('pipe-bad-args', (done) => {
  const out = [];
  const s = new net.Socket();
  for (const [name, f] of [['none', () => s.pipe()], ['5', () => s.pipe(5)], ['NaN', () => s.pipe(NaN)], ['{}', () => s.pipe({})]]) {
    try { f(); out.push(name + ':ok'); } catch (e) { out.push(name + ':' + e.name + ':' + (e.code || '') + ':' + e.message); }
  }
  out.push('listeners:' + s.eventNames().map((n) => n + '=' + s.listenerCount(n)).join(','));
  const d = new net.Socket();
  out.push('opts-5:' + (s.pipe(d, 5) === d));
  s.destroy(); d.destroy();
  log(J(out));
  setImmediate(done);
});

next();
