// Scenarios behind spec/socket_stream_spec.lua: run `node spec/node/socket_stream.js`.
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
  return server;
};
const EVENTS = ['connect', 'ready', 'data', 'end', 'finish', 'drain', 'error', 'close', 'timeout'];
// every event of one socket, in order
const trace = (s, out, tag = '') => {
  for (const ev of EVENTS) {
    s.on(ev, (a) => {
      if (ev === 'data') out.push(tag + 'data:' + a);
      else if (ev === 'error') out.push(tag + 'error:' + (a.code || a.message));
      else if (ev === 'close') out.push(tag + 'close:' + a);
      else out.push(tag + ev);
    });
  }
};
const errInfo = (e) => e && J({ name: e.name, code: e.code, errno: e.errno, syscall: e.syscall, message: e.message });

add('write after end: false; cb and error get ERR_STREAM_WRITE_AFTER_END; close(true)', (done) => {
  serve((c) => { c.resume(); c.on('end', () => c.end()); }, (port, server) => {
    const out = [];
    const s = net.connect(port, '127.0.0.1', () => {
      s.end();
      out.push('write:' + s.write('late', (e) => out.push('cb:' + errInfo(e))));
    });
    trace(s, out);
    s.on('close', () => server.close(() => { log(J(out)); done(); }));
  });
});
add('write after destroy: false; cb gets ERR_STREAM_DESTROYED; no error event; close(false)', (done) => {
  serve((c) => c.resume(), (port, server) => {
    const out = [];
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      out.push('write:' + s.write('late', (e) => out.push('cb:' + errInfo(e))));
    });
    trace(s, out);
    s.on('close', () => server.close(() => { log(J(out)); done(); }));
  });
});
add('destroy() with writes held while connecting: their callbacks get ERR_STREAM_DESTROYED', (done) => {
  serve((c) => c.resume(), (port, server) => {
    const out = [];
    const s = net.connect(port, '127.0.0.1');
    s.write('a', (e) => out.push('cb-a:' + errInfo(e)));
    s.write('b', (e) => out.push('cb-b:' + (e && e.code)));
    s.destroy();
    trace(s, out);
    s.on('close', () => server.close(() => { log(J(out)); done(); }));
  });
});
add("the peer ended, no allowHalfOpen: writing from the 'end' listener still works; after the auto-end it is EPIPE", (done) => {
  const out = [];
  serve((c) => {
    let got = '';
    c.on('data', (d) => { got += d; });
    c.on('end', () => out.push('server-got:' + got));
    c.end();
  }, (port, server) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('end', () => {
      out.push(`in-end:writableEnded=${s.writableEnded}:write=` + s.write('reply'));
      setImmediate(() => {
        out.push(`later:writableEnded=${s.writableEnded}:destroyed=${s.destroyed}`);
        out.push('write:' + s.write('too late', (e) => out.push('cb:' + errInfo(e))));
      });
    });
    trace(s, out, 'c-');
    s.on('close', () => setTimeout(() => server.close(() => { log(J(out)); done(); }), 30));
  }, { allowHalfOpen: true });
});
add('EPIPE: writing to a peer that has gone: an error event (not a throw) with Node fields, cb too, close(true)', (done) => {
  serve((c) => { c.destroy(); }, (port, server) => {
    const out = [];
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    s.on('end', () => {
      out.push('end');
      s.write('x', (e) => out.push('cb1:' + (e && e.code)));
      setTimeout(() => {
        s.write('y', (e) => out.push('cb2:' + errInfo(e)));
      }, 50);
    });
    s.on('error', (e) => out.push('error:' + errInfo(e) + ':destroyed=' + s.destroyed));
    s.on('close', (h) => { out.push('close:' + h); server.close(() => { log(J(out)); done(); }); });
  });
});
add('ECONNRESET: the peer closes with unread data (RST): error syscall read, close(true)', (done) => {
  serve((c) => { setTimeout(() => c.destroy(), 50); }, (port, server) => {
    const out = [];
    const s = net.connect(port, '127.0.0.1', () => s.write('unread by the server'));
    s.on('data', (d) => out.push('data'));
    s.on('end', () => out.push('end'));
    s.on('error', (e) => out.push('error:' + errInfo(e)));
    s.on('close', (h) => { out.push('close:' + h); server.close(() => { log(J(out)); done(); }); });
  }, { pauseOnConnect: true });
});
add("'finish' comes after every write callback, with nothing left to write", (done) => {
  serve((c) => { c.resume(); c.on('end', () => c.end()); }, (port, server) => {
    const out = [];
    const s = net.connect(port, '127.0.0.1', () => {
      const big = 'z'.repeat(1 << 20);
      s.write(big, () => out.push('cb1'));
      s.write(big, () => out.push('cb2'));
      s.end('last', () => out.push('end-cb'));
    });
    s.on('finish', () => out.push(`finish:writableLength=${s.writableLength}:writableFinished=${s.writableFinished}:bytesWritten=${s.bytesWritten}`));
    s.resume();
    s.on('close', () => server.close(() => { log(J(out)); done(); }));
  });
});
add("'close' exactly once and last, however the socket is torn down", (done) => {
  serve((c) => { c.resume(); c.on('error', () => {}); }, (port, server) => {
    const res = {};
    const cases = {
      'destroy-twice': (s) => { s.destroy(); s.destroy(); },
      'destroy-err-twice': (s) => { s.destroy(new Error('one')); s.destroy(new Error('two')); },
      'end-then-destroy': (s) => { s.end('x'); s.destroy(); },
      'destroy-in-error': (s) => { s.on('error', () => s.destroy()); s.destroy(new Error('boom')); },
      'destroy-in-close': (s) => { s.on('close', () => s.destroy()); s.destroy(); },
      'destroySoon-then-destroy': (s) => { s.destroySoon(); s.destroy(); },
    };
    const names = Object.keys(cases);
    let n = 0;
    for (const name of names) {
      const out = [];
      const s = net.connect(port, '127.0.0.1', () => cases[name](s));
      trace(s, out);
      s.on('close', () => setTimeout(() => {
        res[name] = out;
        if (++n === names.length) server.close(() => { for (const k of names) log(k, J(res[k])); done(); });
      }, 50));
    }
  });
});
add('allowHalfOpen on both sides: the client ends first, the server streams 200 chunks later, then ends', (done) => {
  serve((c) => {
    c.on('end', () => {
      let i = 0;
      const send = () => {
        while (i < 200) { i++; if (!c.write('chunk' + i + ';')) { c.once('drain', send); return; } }
        c.end();
      };
      setTimeout(send, 20);
    });
    c.resume();
  }, (port, server) => {
    const out = [];
    let got = '';
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => s.end('bye'));
    s.on('data', (d) => { got += d; });
    s.on('finish', () => out.push(`finish:${s.readyState}`));
    s.on('end', () => out.push(`end:${got.split(';').length - 1}:${got.endsWith('chunk200;')}`));
    s.on('close', (h) => { out.push('close:' + h); server.close(() => { log(J(out)); done(); }); });
  }, { allowHalfOpen: true });
});
// 64 MiB from a producer socket, through pipe() on a relay, to a slow reader
// that pauses 10 ms after every MiB. The data: a 65537-byte block of every
// byte value, repeated (so chunk borders never line up with it).
add('64 MiB through pipe() to a slow reader: every byte, bounded buffering', (done) => {
  const N = 64 * 1024 * 1024;
  const CHUNK = 64 * 1024;
  const block = Buffer.alloc(65537);
  let x = 1;
  for (let i = 0; i < block.length; i++) { x = (x * 1103515245 + 12345) % 2147483648; block[i] = (x >> 16) & 255; }
  const data = Buffer.alloc(N);
  for (let off = 0; off < N; off += block.length) block.copy(data, off);
  let maxRelay = 0, maxProducer = 0, pauses = 0, received = 0, ok = true;
  const producer = net.createServer((p) => {
    let sent = 0;
    const pump = () => {
      while (sent < N) {
        const more = p.write(data.subarray(sent, sent + CHUNK));
        sent += CHUNK;
        maxProducer = Math.max(maxProducer, p.writableLength);
        if (!more) { p.once('drain', pump); return; }
      }
      p.end();
    };
    pump();
  });
  const sink = net.createServer((c) => {
    c.on('data', (d) => {
      if (ok && !d.equals(data.subarray(received, received + d.length))) ok = false;
      const before = received;
      received += d.length;
      if ((received >> 20) !== (before >> 20)) {
        c.pause(); pauses++;
        setTimeout(() => c.resume(), 10);
      }
    });
    c.on('end', () => c.end());
  });
  producer.listen(0, '127.0.0.1', () => sink.listen(0, '127.0.0.1', () => {
    const t0 = Date.now();
    const out = net.connect(sink.address().port, '127.0.0.1');
    const inp = net.connect(producer.address().port, '127.0.0.1');
    let relayPauses = 0;
    inp.on('pause', () => { relayPauses++; });
    inp.pipe(out);
    const iv = setInterval(() => { maxRelay = Math.max(maxRelay, out.writableLength); }, 5);
    inp.on('data', () => { maxRelay = Math.max(maxRelay, out.writableLength); });
    out.on('close', () => {
      clearInterval(iv);
      producer.close(); sink.close();
      log(J({ received, ok, relayBounded: maxRelay <= 16384 + CHUNK, producerBounded: maxProducer <= 16384 + CHUNK,
        slowReaderPaused: pauses >= 60, relaySourcePaused: relayPauses >= 1, inBytes: inp.bytesRead, outBytes: out.bytesWritten }));
      log('(ms', Date.now() - t0, 'maxRelay', maxRelay, 'maxProducer', maxProducer, 'pauses', pauses, 'relayPauses', relayPauses + ')');
      done();
    });
  }));
});
next();
