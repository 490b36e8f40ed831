// Scenarios behind spec/server_ipc_spec.lua: run `node spec/node/server_ipc.js`.
// Each scenario prints `== name` and then what the Lua spec expects.
// A path longer than sun_path is an error only in the newest Node (v22+,
// UV_PIPE_NO_TRUNCATE); v20 truncates it, as the last scenario shows.
'use strict';
const net = require('net');
const fs = require('fs');
const { execSync } = require('child_process');
const log = (...a) => console.log(...a);
const J = JSON.stringify;
const scenarios = [];
const add = (name, fn) => scenarios.push([name, fn]);
const next = () => { const s = scenarios.shift(); if (!s) return; log('==', s[0]); s[1](next); };
const P = (tag) => { const p = `/tmp/net-node-ipc-${process.pid}-${tag}.sock`; try { fs.unlinkSync(p); } catch (e) { /* none */ } return p; };
const errFields = (e) => J({ code: e.code, errno: e.errno, syscall: e.syscall, address: e.address, port: e.port, message: e.message, str: String(e) });

add('listen(path), a client, address(), unlink at close', (done) => {
  const p = P('basic'); const out = [];
  const s = net.createServer((c) => {
    out.push('server-side:' + J([c.remoteAddress, c.remotePort, c.remoteFamily, c.localAddress, c.localPort, c.server === s]));
    c.on('data', (d) => c.end('echo:' + d));
  });
  s.on('close', () => { out.push('close:exists=' + fs.existsSync(p)); log(out.join('\n')); done(); });
  s.on('listening', () => out.push('listening'));
  s.listen(p, () => {
    out.push('cb', 'address:' + J(s.address()), 'is-socket:' + fs.statSync(p).isSocket());
    const c = net.connect(p, () => { out.push('connect-cb:' + J([c.remoteAddress, c.remotePort, c.remoteFamily])); c.write('hi'); });
    let got = ''; c.on('data', (d) => { got += d; });
    c.on('close', () => { out.push('got:' + got); s.close(); out.push('after-close-sync:exists=' + fs.existsSync(p) + ':address=' + J(s.address())); });
  });
});
add('client forms: connect(path), connect({path}), createConnection(path, cb)', (done) => {
  const p = P('forms'); const out = []; let n = 0;
  const s = net.createServer((c) => c.end('ok' + (++n)));
  s.listen(p, () => {
    let left = 3; const got = [];
    const one = (i, c) => { let b = ''; c.on('data', (d) => { b += d; }); c.on('close', () => { got[i] = b.slice(0, 2); if (--left === 0) { out.push(J(got)); s.close(() => { log(J(out)); done(); }); } }); };
    one(0, net.connect(p)); one(1, net.connect({ path: p })); one(2, net.createConnection(p, () => out.push('cb')));
  });
});
add('backlog on a path (ss Send-Q)', (done) => {
  const p = P('backlog'); const q = (x) => execSync(`ss -lxH src ${x}`).toString().trim().split(/\s+/)[3];
  const s = net.createServer();
  s.listen(p, () => {
    log('default', q(p));
    s.close(() => s.listen(p, 13, () => {
      log('arg', q(p));
      s.close(() => s.listen({ path: p, backlog: 5 }, () => { log('options', q(p)); s.close(done); }));
    }));
  });
});
add('EADDRINUSE on a path in use', (done) => {
  const p = P('inuse'); const out = [];
  const s1 = net.createServer((c) => c.end('s1'));
  s1.listen(p, () => {
    const s2 = net.createServer(); s2.on('close', () => out.push('s2-close!?'));
    s2.on('error', (e) => {
      out.push(errFields(e), 's2.listening:' + s2.listening, 'exists:' + fs.existsSync(p));
      const c = net.connect(p); let got = ''; c.on('data', (d) => { got += d; });
      c.on('close', () => { out.push('s1-still-serves:' + got); s1.close(() => { out.push('exists-after-s1-close:' + fs.existsSync(p)); log(out.join('\n')); done(); }); });
    });
    s2.listen(p);
  });
});
add('a stale socket file is EADDRINUSE', (done) => {
  const p = P('stale');
  execSync(`python3 -c "import socket; s=socket.socket(socket.AF_UNIX); s.bind('${p}'); s.close()"`);
  const s = net.createServer();
  s.on('error', (e) => { log(e.code, 'file-still-there:', fs.existsSync(p)); fs.unlinkSync(p); done(); });
  s.listen(p, () => { log('listening!?'); s.close(done); });
});
add('EACCES as root: /proc, and a missing directory (ENOENT shows as EACCES)', (done) => {
  const s = net.createServer(); const out = [];
  s.on('error', (e) => {
    out.push(errFields(e), 'listening:' + s.listening);
    if (out.length === 2) s.listen(`/tmp/net-node-no-such-dir-${process.pid}/x.sock`); else { log(out.join('\n')); done(); }
  });
  s.listen('/proc/net-node.sock');
});
add('connect errors: no such path, a regular file', (done) => {
  const out = [];
  const c = net.connect(`/tmp/net-node-none-${process.pid}.sock`);
  c.on('connect', () => out.push('connect!?'));
  c.on('error', (e) => out.push(errFields(e)));
  c.on('close', (h) => {
    out.push('close:' + h);
    const f = `/tmp/net-node-file-${process.pid}.txt`; fs.writeFileSync(f, 'x');
    const c2 = net.connect({ path: f });
    c2.on('error', (e) => { out.push(errFields(e)); fs.unlinkSync(f); log(out.join('\n')); done(); });
  });
});
add('readableAll / writableAll: mode = mode without them | 0444 / 0222', (done) => {
  const combos = [{}, { readableAll: true }, { writableAll: true }, { readableAll: true, writableAll: true }];
  const out = []; let i = 0;
  (function one() {
    const o = combos[i++]; if (!o) { log(out.join('\n')); done(); return; }
    const p = P('mode' + i); const s = net.createServer();
    s.listen({ path: p, ...o }, () => { out.push(J(o) + ' ' + (fs.statSync(p).mode & 0o777).toString(8)); s.close(one); });
  })();
  // run under `umask 077` too: {} 700, readableAll 744, writableAll 722, both 766
});
add('abstract socket', (done) => {
  const name = '\0net-node-abstract-' + process.pid; const out = [];
  const s = net.createServer((c) => c.end('abs'));
  s.listen(name, () => {
    out.push('address-is-name:' + (s.address() === name), 'no-file:' + !fs.existsSync(name.slice(1)));
    const s2 = net.createServer();
    s2.on('error', (e) => {
      out.push('dup:' + J({ code: e.code, address: e.address, message: e.message }));
      const c = net.connect(name); let got = ''; c.on('data', (d) => { got += d; });
      c.on('close', () => {
        out.push('got:' + got);
        s.close(() => { out.push('closed'); const s3 = net.createServer(); s3.listen(name, () => { out.push('relisten-ok'); s3.close(() => { log(out.join('\n')); done(); }); }); });
      });
    });
    s2.listen(name);
  });
});
add('a 107-byte path works', (done) => {
  const pre = `/tmp/net-node-${process.pid}-`; const p = pre + 'y'.repeat(107 - pre.length); const out = [];
  const s = net.createServer((c) => c.end('ok'));
  s.listen(p, () => {
    out.push('len:' + p.length, 'address-eq:' + (s.address() === p), 'exists:' + fs.existsSync(p));
    const c = net.connect(p); let g = ''; c.on('data', (d) => { g += d; });
    c.on('close', () => { out.push('got:' + g); s.close(() => { out.push('unlinked:' + !fs.existsSync(p)); log(J(out)); done(); }); });
  });
});
add('a path longer than sun_path (v20: truncated; newest Node: EINVAL)', (done) => {
  const p = `/tmp/net-node-${process.pid}-` + 'x'.repeat(200) + '.sock';
  const s = net.createServer();
  s.on('error', (e) => { log('error', errFields(e)); done(); });
  s.listen(p, () => {
    log('v20 listens: address-eq=' + (s.address() === p) + ' exists=' + fs.existsSync(p) + ' truncated-exists=' + fs.existsSync(p.slice(0, 108)));
    s.close(() => { for (const n of [107, 108]) { try { fs.unlinkSync(p.slice(0, n)); } catch (e) { /* none */ } } done(); });
  });
});
next();
