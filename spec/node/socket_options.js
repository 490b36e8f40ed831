// Scenarios behind spec/socket_options_spec.lua: run `node spec/node/socket_options.js`.
// The fd scenarios run children from bash so that the fd is set up the same
// way as in the Lua spec (`3<>fifo`, `3<>/dev/tcp/...`).
'use strict';
const net = require('net');
const fs = require('fs');
const { execFileSync, spawn } = require('child_process');
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
const raises = (fn) => { try { fn(); return 'no throw'; } catch (e) { return J([e.code, e.name, e.message]); } };
// the kernel's view of an established TCP socket: [timer kind, ticks left]
// from /proc/net/tcp (timer 2: keepalive; ticks of 1/100 s)
const procTimer = (s) => {
  const hex = (n) => ':' + n.toString(16).toUpperCase().padStart(4, '0');
  const line = fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').find((l) => {
    const f = l.trim().split(/\s+/);
    return f[1]?.endsWith(hex(s.localPort)) && f[2]?.endsWith(hex(s.remotePort)) && f[3] === '01';
  });
  const [tr, when] = line.trim().split(/\s+/)[5].split(':');
  return [parseInt(tr, 16), parseInt(when, 16)];
};

add('fd: bad values raise', (done) => {
  log('string', raises(() => new net.Socket({ fd: 'x' })));
  log('negative', raises(() => new net.Socket({ fd: -1 })));
  log('fraction', raises(() => new net.Socket({ fd: 1.5 })));
  done();
});
const FIFO_CHILD = `
  const net = require('net');
  const J = JSON.stringify;
  const raises = (fn) => { try { fn(); return 'no throw'; } catch (e) { return J([e.code, e.name, e.message]); } };
  console.log('file', raises(() => new net.Socket({ fd: 5 })));
  const st = (s) => [s.readyState, s.readable, s.writable, s.pending, s.connecting, s.remoteAddress, J(s.address()), s.bytesRead].join(':');
  const s = new net.Socket({ fd: 3, readable: true, writable: true });
  console.log('fifo', st(s));
  s.on('connect', () => console.log('connect'));
  s.on('data', (d) => { console.log('data', String(d), st(s)); s.destroy(); });
  s.on('close', (h) => {
    console.log('close', h);
    const t = new net.Socket({ fd: 4 });
    console.log('no-flags', st(t));
    t.on('data', (d) => { console.log('t-data', String(d)); t.destroy(); });
    console.log('t-write', t.write('x'));
    t.on('close', (h) => { console.log('t-close', h); ro(); });
  });
  console.log('write', s.write('hello'));
  function ro() {
    const r = new net.Socket({ fd: 6, readable: false });
    console.log('readable-false', st(r), r.readableEnded);
    r.on('data', (d) => console.log('r-data', String(d)));
    r.on('end', () => console.log('r-end'));
    r.write('abc', (e) => { console.log('r-written', e); setTimeout(() => r.destroy(), 50); });
    r.on('close', (h) => { console.log('r-close', h); wo(); });
  }
  function wo() {
    const w = new net.Socket({ fd: 7, writable: false });
    console.log('writable-false', st(w), w.writableEnded);
    w.on('error', (e) => console.log('w-error', e.code));
    console.log('w-write', w.write('x', (e) => console.log('w-cb', e && e.code)));
    w.on('close', (h) => console.log('w-close', h));
  }`;
add('fd: a FIFO opened read-write (3<>fifo): writes come back; readable/writable flags', (done) => {
  const dir = fs.mkdtempSync('/tmp/net-spec-');
  execFileSync('mkfifo', [dir + '/f']);
  fs.writeFileSync(dir + '/file', 'x');
  const out = execFileSync('bash', ['-c', `exec node -e "$0" 3<>"$1/f" 4<>"$1/f" 5<"$1/file" 6<>"$1/f" 7<>"$1/f"`,
    FIFO_CHILD, dir], { timeout: 5000 }).toString();
  fs.rmSync(dir, { recursive: true });
  log(out.trim());
  done();
});
add('fd: a TCP connection made by bash (3<>/dev/tcp/...): remote fields, data both ways', (done) => {
  const server = net.createServer((c) => { c.on('data', (d) => c.end('echo:' + d)); });
  server.listen(0, '127.0.0.1', () => {
    const port = server.address().port;
    const child = `
      const net = require('net');
      const s = new net.Socket({ fd: 3, readable: true, writable: true });
      console.log([s.readyState, s.remoteAddress, s.remotePort === ${port}, s.remoteFamily, s.localAddress, s.pending].join(':'));
      s.on('data', (d) => console.log('data:' + d));
      s.on('end', () => console.log('end'));
      s.on('close', (h) => console.log('close:' + h));
      s.write('hi');`;
    const p = spawn('bash', ['-c', `exec node -e "$0" 3<>/dev/tcp/127.0.0.1/${port}`, child]);
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.on('close', () => server.close(() => { log(out.trim()); done(); }));
  });
});
add('allowHalfOpen on a client: after the peer ends, it keeps writing until it ends itself', (done) => {
  serve((c) => {
    let got = '';
    c.on('data', (d) => { got += d; });
    c.on('end', () => { log('server-got', got); });
    c.end('bye');
  }, (port, server) => {
    const out = [];
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    out.push('allowHalfOpen:' + s.allowHalfOpen);
    s.on('data', (d) => out.push('data:' + d));
    s.on('end', () => {
      out.push(`end:writable=${s.writable}:${s.readyState}`);
      setTimeout(() => { s.write('late1'); setTimeout(() => { s.end('late2'); }, 20); }, 20);
    });
    s.on('finish', () => out.push('finish'));
    s.on('close', (h) => { out.push('close:' + h); server.close(() => { log(J(out)); done(); }); });
  });
});
add('signal: AbortController basics', (done) => {
  const ac = new AbortController();
  const out = [String(ac.signal.aborted), String(ac.signal.reason)];
  ac.signal.addEventListener('abort', () => out.push('abort-event'));
  ac.abort();
  const r = ac.signal.reason;
  out.push(`${ac.signal.aborted}:${r.name}:${r.message}:${r.code}`);
  ac.abort('again');
  out.push('reason-kept:' + (ac.signal.reason === r));
  log(J(out));
  log('bad-signal', raises(() => new net.Socket({ signal: { bogus: true } })));
  done();
});
add('signal: already aborted: error AbortError (cause = reason) on the next tick, close without hadError', (done) => {
  const ac = new AbortController();
  ac.abort();
  const s = new net.Socket({ signal: ac.signal });
  const out = ['destroyed-at-once:' + s.destroyed];
  s.on('error', (e) => out.push(`error:${e.name}:${e.code}:${e.message}:cause-is-reason=${e.cause === ac.signal.reason}`));
  s.on('close', (h) => { out.push('close:' + h); log(J(out)); done(); });
});
add('signal: abort while connecting: destroyed at once, error AbortError, close(true), no connect', (done) => {
  serve((c) => c.resume(), (port, server) => {
    const out = [];
    const ac = new AbortController();
    const s = net.connect({ port, host: '127.0.0.1', signal: ac.signal });
    s.on('connect', () => out.push('connect'));
    s.on('error', (e) => out.push(`error:${e.name}:${e.code}`));
    s.on('close', (h) => { out.push('close:' + h); server.close(() => { log(J(out)); done(); }); });
    ac.abort();
    out.push('destroyed:' + s.destroyed);
  });
});
add('signal: abort(reason) when connected: error with cause = reason; the peer sees end, close(false)', (done) => {
  const out = [];
  serve((c) => {
    c.on('end', () => out.push('peer-end'));
    c.on('close', (h) => out.push('peer-close:' + h));
    c.resume();
  }, (port, server) => {
    const ac = new AbortController();
    const reason = new Error('my reason');
    const s = net.connect({ port, host: '127.0.0.1', signal: ac.signal }, () => { out.push('connect'); ac.abort(reason); });
    s.on('error', (e) => out.push(`error:${e.name}:${e.code}:${e.message}:cause-is-reason=${e.cause === reason}`));
    s.on('close', (h) => { out.push('close:' + h); setTimeout(() => server.close(() => { log(J(out)); done(); }), 50); });
  });
});
add('signal: aborting after close does nothing', (done) => {
  serve((c) => { c.resume(); c.on('end', () => c.end()); }, (port, server) => {
    const out = [];
    const ac = new AbortController();
    const s = net.connect({ port, host: '127.0.0.1', signal: ac.signal }, () => s.end());
    s.on('error', (e) => out.push('error:' + e.code));
    s.resume();
    s.on('close', (h) => {
      out.push('close:' + h);
      ac.abort();
      setTimeout(() => { out.push('quiet'); server.close(() => { log(J(out)); done(); }); }, 30);
    });
  });
});
add('onread: a 4-byte buffer: chunks of at most 4, no data events, end and close as usual', (done) => {
  serve((c) => c.end('0123456789'), (port, server) => {
    const out = [];
    const buf = Buffer.alloc(4);
    const s = net.connect({ port, host: '127.0.0.1', onread: { buffer: buf, callback: (n, b) => {
      out.push(n + ':' + b.toString('utf8', 0, n));
    } } });
    s.on('data', () => out.push('data'));
    s.on('end', () => out.push('end'));
    s.on('close', (h) => { out.push('close:' + h); server.close(() => { log(J(out)); done(); }); });
  });
});
add('onread: buffer as a function; returning false stops reading (isPaused stays false), resume() goes on', (done) => {
  serve((c) => c.end('0123456789'), (port, server) => {
    const out = [];
    let calls = 0;
    const s = new net.Socket({ onread: { buffer: () => { calls++; return Buffer.alloc(3); }, callback: (n, b) => {
      out.push(n + ':' + b.toString('utf8', 0, n));
      if (out.length === 1) {
        setTimeout(() => { out.push('later:isPaused=' + s.isPaused()); s.resume(); }, 50);
        return false;
      }
    } } });
    s.connect(port, '127.0.0.1');
    s.on('end', () => out.push('end'));
    s.on('close', (h) => { out.push(`close:${h}:buffer-fn-called=${calls >= 4}`); server.close(() => { log(J(out)); done(); }); });
  });
});
add('keepAlive and keepAliveInitialDelay options (Socket and connect): the kernel keepalive timer', (done) => {
  serve((c) => c.resume(), (port, server) => {
    const out = [];
    const a = new net.Socket({ keepAlive: true, keepAliveInitialDelay: 6000, noDelay: true });
    a.connect(port, '127.0.0.1', () => setTimeout(() => {
      const [tr, when] = procTimer(a);
      out.push(`ctor:timer=${tr}:near-6s=${when > 500 && when <= 600}`);
      const b = net.connect({ port, host: '127.0.0.1', keepAlive: true, keepAliveInitialDelay: 4000, noDelay: true }, () => setTimeout(() => {
        const [tr2, when2] = procTimer(b);
        out.push(`connect-options:timer=${tr2}:near-4s=${when2 > 300 && when2 <= 400}`);
        const c = net.connect(port, '127.0.0.1', () => setTimeout(() => {
          out.push('default:timer=' + procTimer(c)[0]);
          a.destroy(); b.destroy(); c.destroy();
          setTimeout(() => server.close(() => { log(J(out)); done(); }), 20);
        }, 20));
      }, 20));
    }, 20));
  });
});
add('(v20 lacks these) blockList and typeOfService options are ignored by Node 20', (done) => {
  const bl = new net.BlockList();
  bl.addAddress('127.0.0.1');
  serve((c) => c.end('not blocked in v20'), (port, server) => {
    const s = net.connect({ port, host: '127.0.0.1', blockList: bl });
    s.on('error', (e) => log('error', e.code, e.message));
    s.on('data', (d) => log('data', String(d)));
    log('typeOfService method:', typeof s.getTypeOfService);
    s.on('close', () => server.close(done));
  });
});
next();
