// Scenarios behind spec/stream_paused_spec.lua (paused mode, read-ahead,
// readableFlowing, onread): run `node spec/node/stream_paused.js`.
'use strict';
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
// a server whose connections are handed to `onconn`; calls fn(port, server)
function serve(onconn, fn, opts) {
  const server = net.createServer(opts || {}, onconn);
  server.listen(0, '127.0.0.1', () => fn(server.address().port, server));
  return server;
}
const later = (ms, fn) => setTimeout(fn, ms);

add('readable-read-all', (done) => {
  const out = [];
  const server = serve((c) => {
    c.write('hello');
    later(50, () => { c.write(' world'); later(50, () => c.end()); });
  }, (port) => {
    const s = net.connect(port, '127.0.0.1');
    out.push('flowing:' + s.readableFlowing);
    s.on('readable', () => {
      out.push('readable:len=' + s.readableLength);
      let ch;
      while ((ch = s.read()) !== null) out.push('read:' + ch);
      out.push('after:len=' + s.readableLength + ':flowing=' + s.readableFlowing);
    });
    out.push('flowing-after-readable-listener:' + s.readableFlowing);
    s.on('end', () => out.push('end:readableEnded=' + s.readableEnded));
    s.on('close', (h) => { out.push('close:' + h); server.close(() => { log(J(out)); done(); }); });
  });
});

add('read-n', (done) => {
  const out = [];
  const server = serve((c) => { c.write('abcdefghijk'); later(50, () => c.end()); }, (port) => {
    const s = net.connect(port, '127.0.0.1');
    let first = true;
    s.on('readable', () => {
      out.push('readable:len=' + s.readableLength);
      if (first) {
        first = false;
        out.push('read4:' + s.read(4), 'read4:' + s.read(4), 'read4:' + s.read(4), 'len:' + s.readableLength);
        out.push('read20000:' + s.read(20000), 'rhwm:' + s.readableHighWaterMark);
        out.push('read0:' + s.read(0), 'read-1:' + s.read(-1), 'read2.9:' + s.read(2.9), 'len:' + s.readableLength);
      } else {
        out.push('read4:' + s.read(4), 'read4:' + s.read(4), 'len:' + s.readableLength);
      }
    });
    s.on('data', (d) => out.push('data:' + d));
    s.on('end', () => out.push('end'));
    s.on('close', (h) => { out.push('close:' + h); server.close(() => { log(J(out)); done(); }); });
  });
});

add('flowing-states', (done) => {
  const out = [];
  const s = new net.Socket();
  const f = () => String(s.readableFlowing);
  out.push('new:' + f() + ':isPaused=' + s.isPaused());
  const ondata = () => {};
  s.on('data', ondata); out.push('data-listener:' + f());
  s.pause(); out.push('pause:' + f() + ':isPaused=' + s.isPaused());
  s.resume(); out.push('resume:' + f() + ':isPaused=' + s.isPaused());
  const onr = () => {};
  s.on('readable', onr); out.push('readable-listener:' + f());
  s.removeListener('readable', onr); out.push('readable-removed-sync:' + f());
  process.nextTick(() => {
    out.push('readable-removed-tick:' + f());
    s.removeListener('data', ondata); out.push('data-removed:' + f());
    const t = new net.Socket();
    t.on('readable', onr); out.push('t-readable:' + t.readableFlowing);
    t.removeListener('readable', onr);
    process.nextTick(() => {
      out.push('t-readable-removed-tick:' + t.readableFlowing);
      t.readableFlowing = true; out.push('t-assign-true:' + t.readableFlowing + ':isPaused=' + t.isPaused());
      t.readableFlowing = false; out.push('t-assign-false:' + t.readableFlowing + ':isPaused=' + t.isPaused());
      t.readableFlowing = null; out.push('t-assign-null:' + t.readableFlowing + ':isPaused=' + t.isPaused());
      t.pause(); out.push('t-pause:' + t.readableFlowing + ':isPaused=' + t.isPaused());
      t.readableFlowing = null; out.push('t-assign-null-after-pause:' + t.readableFlowing + ':isPaused=' + t.isPaused());
      s.destroy(); t.destroy();
      setImmediate(() => { log(J(out)); done(); });
    });
  });
});

add('assign-flowing-false-before-connect', (done) => {
  // readableFlowing = false before connecting: a 'data' listener does not
  // start the flow, nothing is read; resume() starts it
  const out = [];
  const server = serve((c) => { c.end('abc'); }, (port) => {
    const s = net.connect(port, '127.0.0.1');
    s.readableFlowing = false;
    s.on('data', (d) => out.push('data:' + d));
    s.on('end', () => out.push('end'));
    later(100, () => {
      out.push('after-100ms:bytesRead=' + s.bytesRead + ':len=' + s.readableLength + ':flowing=' + s.readableFlowing);
      s.resume();
      out.push('resumed:flowing=' + s.readableFlowing);
    });
    s.on('close', (h) => { out.push('close:' + h); server.close(() => { log(J(out)); done(); }); });
  });
});

add('errored', (done) => {
  const out = [];
  const s = new net.Socket();
  out.push('before:' + s.errored);
  const e = new Error('boom');
  s.on('error', (x) => out.push('error:same=' + (x === e) + ':errored-same=' + (s.errored === e)));
  s.destroy(e);
  out.push('after-destroy:same=' + (s.errored === e));
  const t = new net.Socket();
  t.destroy();
  out.push('destroy-no-err:' + t.errored);
  s.on('close', () => { out.push('close:errored-same=' + (s.errored === e)); log(J(out)); done(); });
});

add('end-after-read-drains', (done) => {
  const out = [];
  const server = serve((c) => { c.end('abc'); }, (port) => {
    const s = net.connect(port, '127.0.0.1');
    let n = 0;
    s.on('readable', () => {
      n++;
      out.push('readable#' + n + ':len=' + s.readableLength);
      if (n === 1) {
        later(100, () => {
          out.push('later:ended=' + s.readableEnded + ':len=' + s.readableLength);
          out.push('read:' + s.read());
          out.push('read-again:' + s.read());
        });
      }
    });
    s.on('end', () => out.push('end'));
    s.on('close', (h) => { out.push('close:' + h); server.close(() => { log(J(out)); done(); }); });
  });
});

add('readable-removed-back-to-flowing', (done) => {
  const out = [];
  const server = serve((c) => {
    c.write('one');
    later(80, () => { c.write('two'); later(50, () => c.end()); });
  }, (port) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('data', (d) => out.push('data:' + d + ':flowing=' + s.readableFlowing));
    const onr = () => {
      out.push('readable:flowing=' + s.readableFlowing);
      let ch;
      while ((ch = s.read()) !== null) out.push('read:' + ch);
      s.removeListener('readable', onr);
      out.push('removed:flowing=' + s.readableFlowing);
      setImmediate(() => out.push('next:flowing=' + s.readableFlowing));
    };
    s.on('readable', onr);
    s.on('end', () => out.push('end'));
    s.on('close', (h) => { out.push('close:' + h); server.close(() => { log(J(out)); done(); }); });
  });
});

function readAhead(opts, label) {
  return (done) => {
    const out = [];
    const N = 1 << 20;
    const server = serve((c) => { c.end(Buffer.alloc(N, 'x')); }, (port) => {
      const s = net.connect({ port, host: '127.0.0.1', ...opts });
      const hwm = s.readableHighWaterMark;
      out.push('rhwm:' + hwm);
      const inRange = () => s.readableLength >= hwm && s.readableLength < hwm + 65536;
      later(200, () => {
        out.push('idle:flowing=' + s.readableFlowing + ':inRange=' + inRange() + ':bytesRead=len:' + (s.bytesRead === s.readableLength));
        const first = s.read();
        out.push('read-all:' + (first.length >= hwm) + ':len=' + s.readableLength);
        later(200, () => {
          out.push('refilled:inRange=' + inRange() + ':bytesRead>first:' + (s.bytesRead > first.length));
          let got = first.length;
          s.on('data', (d) => { got += d.length; });
          s.on('end', () => out.push('end:got=' + got));
        });
      });
      s.on('close', (h) => { out.push('close:' + h); server.close(() => { log(label, J(out)); done(); }); });
    });
  };
}
add('read-ahead-default', readAhead({}, 'default'));
add('read-ahead-readableHighWaterMark', readAhead({ readableHighWaterMark: 256 * 1024 }, 'rhwm-256k'));
add('read-ahead-highWaterMark', readAhead({ highWaterMark: 100 }, 'hwm-100'));

add('late-listeners', (done) => {
  // data read ahead before anyone listens: a late 'readable' listener hears
  // of it on the next tick; read() on a connecting socket is null
  const out = [];
  const server = serve((c) => { c.write('early'); later(100, () => c.end('late')); }, (port) => {
    const s = net.connect(port, '127.0.0.1');
    out.push('read-connecting:' + s.read() + ':flowing=' + s.readableFlowing);
    later(50, () => {
      out.push('buffered:' + s.readableLength);
      s.on('readable', () => {
        out.push('readable:len=' + s.readableLength);
        let ch;
        while ((ch = s.read()) !== null) out.push('read:' + ch);
      });
      out.push('sync-after-listener');
    });
    s.on('end', () => out.push('end'));
    s.on('close', (h) => { out.push('close:' + h); server.close(() => { log(J(out)); done(); }); });
  });
});

add('late-data-listener', (done) => {
  // data read ahead, then a 'data' listener: the buffered chunk first
  const out = [];
  const server = serve((c) => { c.write('early'); later(100, () => c.end('late')); }, (port) => {
    const s = net.connect(port, '127.0.0.1');
    later(50, () => {
      out.push('buffered:' + s.readableLength);
      s.on('data', (d) => out.push('data:' + d + ':len=' + s.readableLength));
      out.push('sync-after-listener:flowing=' + s.readableFlowing);
    });
    s.on('end', () => out.push('end'));
    s.on('close', (h) => { out.push('close:' + h); server.close(() => { log(J(out)); done(); }); });
  });
});

add('pause-with-readable', (done) => {
  // pause() and resume() with a 'readable' listener: resume() does not
  // switch to flowing while 'readable' listens
  const out = [];
  const server = serve((c) => { c.write('abc'); later(50, () => c.end()); }, (port) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('readable', () => {
      out.push('readable:len=' + s.readableLength);
      let ch;
      while ((ch = s.read()) !== null) out.push('read:' + ch);
    });
    s.pause(); out.push('pause:' + s.readableFlowing + ':' + s.isPaused());
    s.resume(); out.push('resume:' + s.readableFlowing + ':' + s.isPaused());
    s.on('end', () => out.push('end'));
    s.on('close', (h) => { out.push('close:' + h); server.close(() => { log(J(out)); done(); }); });
  });
});

add('set-encoding-paused', (done) => {
  const out = [];
  const server = serve((c) => {
    c.write(Buffer.from([0x61, 0xe2, 0x82]));
    later(50, () => { c.write(Buffer.from([0xac, 0x78])); later(50, () => c.end(Buffer.from([0xc3]))); });
  }, (port) => {
    const s = net.connect(port, '127.0.0.1');
    s.setEncoding('utf8');
    s.on('readable', () => {
      out.push('readable:len=' + s.readableLength);
      let ch;
      while ((ch = s.read()) !== null) out.push('read:' + J(ch) + ':' + typeof ch);
    });
    s.on('end', () => out.push('end'));
    s.on('close', (h) => { out.push('close:' + h); server.close(() => { log(J(out)); done(); }); });
  });
});

add('set-encoding-read-n', (done) => {
  const out = [];
  const server = serve((c) => { c.write('abcdef'); later(50, () => c.end()); }, (port) => {
    const s = net.connect(port, '127.0.0.1');
    s.setEncoding('hex');
    s.once('readable', () => {
      out.push('len:' + s.readableLength, 'read5:' + s.read(5), 'len:' + s.readableLength);
      s.on('readable', () => { let ch; while ((ch = s.read()) !== null) out.push('read:' + ch); });
    });
    s.on('end', () => out.push('end'));
    s.on('close', () => server.close(() => { log(J(out)); done(); }));
  });
});

add('set-encoding-units', (done) => {
  // readableLength and read(n) count UTF-16 code units: € is 1, 😀 is 2
  const out = [];
  const server = serve((c) => { c.write('\u20ac\u{1f600}ab\u00e9'); later(50, () => c.end()); }, (port) => {
    const s = net.connect(port, '127.0.0.1');
    s.setEncoding('utf8');
    s.once('readable', () => {
      out.push('len:' + s.readableLength);
      out.push('read1:' + s.read(1), 'len:' + s.readableLength);
      out.push('read2:' + s.read(2), 'len:' + s.readableLength);
      out.push('read4:' + s.read(4), 'read3:' + s.read(3), 'len:' + s.readableLength);
      s.on('readable', () => { let ch; while ((ch = s.read()) !== null) out.push('read:' + ch); });
    });
    s.on('end', () => out.push('end'));
    s.on('close', () => server.close(() => { log(J(out)); done(); }));
  });
});

add('onread-buffer-calls', (done) => {
  const out = [];
  let calls = 0;
  const server = serve((c) => { c.end('abcdefghijk'); }, (port) => {
    const got = [];
    const s = net.connect({
      port, host: '127.0.0.1',
      onread: { buffer: () => { calls++; return Buffer.alloc(2); }, callback: (n, buf) => { got.push(buf.toString('latin1', 0, n)); } },
    });
    out.push('calls-after-connect-call:' + calls);
    s.on('connect', () => out.push('connect:calls=' + calls));
    s.on('end', () => out.push('end:calls=' + calls));
    s.on('close', () => { out.push('close:calls=' + calls, 'got:' + got.join(',')); server.close(() => { log(J(out)); done(); }); });
  });
});

add('onread-buffer-calls-socket', (done) => {
  // Socket({ onread }) then connect(): the buffer is asked for when the handle is made
  const out = [];
  let calls = 0;
  const server = serve((c) => { c.end('abcde'); }, (port) => {
    const s = new net.Socket({ onread: { buffer: () => { calls++; return Buffer.alloc(2); }, callback: () => {} } });
    out.push('after-new:' + calls);
    s.connect(port, '127.0.0.1');
    out.push('after-connect-call:' + calls);
    s.on('close', () => { out.push('close:calls=' + calls); server.close(() => { log(J(out)); done(); }); });
  });
});

next();
