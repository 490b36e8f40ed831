// Scenarios behind spec/server_listen_spec.lua: run `node spec/node/server_listen.js`.
// Each scenario prints `== name` and then what the Lua spec expects.
// Members newer than v20 (reusePort) are in the spec from the latest docs, not here.
'use strict';
const net = require('net');
const fs = require('fs');
const { execSync, spawn } = require('child_process');
const log = (...a) => console.log(...a);
const J = JSON.stringify;
const scenarios = [];
const add = (name, fn) => scenarios.push([name, fn]);
const next = () => { const s = scenarios.shift(); if (!s) return; log('==', s[0]); s[1](next); };
const sendQ = (port) => execSync(`ss -ltnH 'sport = :${port}'`).toString().trim().split(/\s+/)[2];

// --- child process for the inherited-fd scenarios: fd 3 is a listening socket
if (process.argv[2] === 'child') {
  const kind = process.argv[3]; const out = [];
  const s = net.createServer((c) => { out.push('conn:server=' + (c.server === s)); c.end('via-' + kind); });
  s.on('listening', () => out.push('listening-event'));
  s.on('close', () => { out.push('close'); log(J(out)); process.disconnect(); });
  const ready = () => { out.push('cb', 'address:' + J(s.address()), 'listening:' + s.listening); process.send('ready'); };
  if (kind === 'fd') {
    s.listen({ fd: 3 }, ready);
  } else {
    const sock = new net.Socket({ fd: 3, readable: false, writable: false });
    sock.on('error', (e) => out.push('sock-error:' + e.code));
    sock.on('close', () => out.push('sock-close'));
    s.listen(sock, ready);
  }
  out.push('sync-listening:' + s.listening);
  process.on('message', () => s.close());
  return;
}
function inChild(kind, handle, connectTo, done) {
  const ch = spawn(process.execPath, [__filename, 'child', kind], { stdio: ['inherit', 'pipe', 'inherit', handle, 'ipc'] });
  let buf = ''; ch.stdout.on('data', (d) => { buf += d; });
  ch.on('message', () => {
    const c = net.connect(connectTo); let got = '';
    c.on('data', (d) => { got += d; });
    c.on('close', () => { log('client got:', got); ch.send('close'); });
  });
  ch.on('exit', () => { log('child:', buf.trim()); done(); });
}

add('port-like string and {port: "0"} are TCP ports', (done) => {
  const s = net.createServer();
  s.listen('0', () => {
    const a = s.address(); log('listen("0")', J([a.address, a.family, a.port > 0]));
    s.close(() => s.listen({ port: '0' }, () => { const b = s.address(); log('{port:"0"}', J([b.address, b.family])); s.close(done); }));
  });
});
add('port wins over path', (done) => {
  const p = '/tmp/net-node-port-wins.sock'; const s = net.createServer();
  s.listen({ port: 0, host: '127.0.0.1', path: p }, () => { log(J(s.address().address), 'file:', fs.existsSync(p)); s.close(done); });
});
add('localhost and ::1', (done) => {
  const s = net.createServer();
  s.listen(0, 'localhost', () => {
    log('localhost', J([s.address().address, s.address().family]));
    s.close(() => s.listen({ port: 0, host: '::1' }, () => { log('::1', J([s.address().address, s.address().family])); s.close(done); }));
  });
});
add('backlog seen by the kernel (ss Send-Q)', (done) => {
  const s = net.createServer();
  s.listen(0, '127.0.0.1', () => {
    log('default', sendQ(s.address().port));
    s.close(() => s.listen({ port: 0, host: '127.0.0.1', backlog: 7 }, () => {
      log('options.backlog', sendQ(s.address().port));
      s.close(() => s.listen(0, '127.0.0.1', 9, () => { log('arg', sendQ(s.address().port)); s.close(done); }));
    }));
  });
});
add('exclusive', (done) => {
  const s = net.createServer((c) => c.end('x'));
  s.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
    const c = net.connect(s.address().port, '127.0.0.1'); let got = '';
    c.on('data', (d) => { got += d; }); c.on('close', () => { log(J(s.address().address), got); s.close(done); });
  });
});
add('no host: dual stack, IPv4 peers as ::ffff:', (done) => {
  const out = [];
  const s = net.createServer((c) => { out.push(J([c.remoteAddress, c.remoteFamily, c.localAddress])); c.end(); });
  s.listen({ port: 0 }, () => {
    const port = s.address().port; const c = net.connect(port, '127.0.0.1'); c.resume();
    c.on('close', () => {
      const s4 = net.createServer(); s4.on('error', (e) => { out.push('0.0.0.0 same port:' + e.code); log(J(out)); s.close(done); });
      s4.listen(port, '0.0.0.0');
    });
  });
});
add('ipv6Only', (done) => {
  const out = [];
  const s = net.createServer((c) => { out.push('conn:' + c.remoteAddress); c.end(); });
  s.listen({ port: 0, host: '::', ipv6Only: true }, () => {
    const port = s.address().port; out.push(s.address().address);
    const c4 = net.connect(port, '127.0.0.1');
    c4.on('error', (e) => {
      out.push('ipv4 client:' + e.code);
      const c6 = net.connect(port, '::1'); c6.resume();
      c6.on('close', () => {
        const s4 = net.createServer();
        s4.listen(port, '0.0.0.0', () => { out.push('0.0.0.0 same port: listening'); s4.close(() => s.close(() => { log(J(out)); done(); })); });
      });
    });
  });
});
add('listen(otherServer)', (done) => {
  const out = [];
  const s1 = net.createServer(() => out.push('s1-connection'));
  s1.on('close', () => out.push('s1-close'));
  s1.listen(0, '127.0.0.1', () => {
    const s2 = net.createServer((c) => { out.push('s2-connection:server=' + (c.server === s2)); c.end(); });
    s2.on('listening', () => out.push('s2-listening'));
    s2.on('close', () => out.push('s2-close'));
    const r = s2.listen(s1, () => {
      out.push('s2-cb', 'same-address:' + (J(s2.address()) === J(s1.address())), 's1.listening:' + s1.listening);
      const c = net.connect(s1.address().port, '127.0.0.1'); c.resume();
      c.on('close', () => s2.close(() => s1.close(() => { log(J(out)); done(); })));
    });
    out.push('returns-server:' + (r === s2), 'sync-listening:' + s2.listening);
    // (after s2.close() Node keeps s1.listening true and s1.address() throws EBADF: not part of the spec)
  });
});
add('listen({fd}) with an inherited listening TCP socket', (done) => {
  const s = net.createServer();
  s.listen(0, '127.0.0.1', () => {
    const port = s.address().port;
    inChild('fd', s._handle, { port, host: '127.0.0.1' }, done);
    s.close(); // the child has its own copy of the fd now
    log('port:', port);
  });
});
add('listen(socket) whose handle is a listening TCP socket', (done) => {
  const s = net.createServer();
  s.listen(0, '127.0.0.1', () => {
    inChild('socket', s._handle, { port: s.address().port, host: '127.0.0.1' }, done);
    s.close(); // the child has its own copy of the fd now
  });
});
add('listen({fd}) with an inherited listening Unix socket', (done) => {
  const p = '/tmp/net-node-fd-unix.sock'; try { fs.unlinkSync(p); } catch (e) { /* none */ }
  // bound outside Node: Node must not unlink it
  execSync(`python3 -c "import socket,os,sys,time; s=socket.socket(socket.AF_UNIX); s.bind('${p}'); s.listen(8); os.set_inheritable(s.fileno(), True); os.dup2(s.fileno(), 3); os.execvp('${process.execPath}', ['node', '${__filename}', 'unixchild'])"`, { stdio: 'inherit' });
  log('file left after close:', fs.existsSync(p)); fs.unlinkSync(p); done();
});
if (process.argv[2] === 'unixchild') {
  const out = [];
  const s = net.createServer((c) => { out.push('conn:' + J([c.remoteAddress, c.server === s])); c.end('unix-fd'); });
  s.listen({ fd: 3 }, () => {
    out.push('address:' + J(s.address()), 'listening:' + s.listening);
    const c = net.connect('/tmp/net-node-fd-unix.sock'); let got = '';
    c.on('data', (d) => { got += d; }); c.on('close', () => { out.push('got:' + got); s.close(() => { log(J(out)); }); });
  });
  return;
}
add('backlog with an fd: the argument counts, options.backlog is ignored (511)', (done) => {
  // python makes the listening socket (backlog 16) and execs node with it as fd 3
  for (const form of ['plain', 'arg', 'opt']) {
    execSync(`python3 -c "import socket,os; s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(16); os.dup2(s.fileno(),3); os.set_inheritable(3,True); os.execvp('${process.execPath}', ['node','${__filename}','backlogchild','${form}'])"`, { stdio: 'inherit' });
  }
  done();
});
if (process.argv[2] === 'backlogchild') {
  const form = process.argv[3]; const s = net.createServer();
  const cb = () => { log(form, sendQ(s.address().port)); s.close(); };
  if (form === 'plain') s.listen({ fd: 3 }, cb); else if (form === 'arg') s.listen({ fd: 3 }, 5, cb); else s.listen({ fd: 3, backlog: 7 }, cb);
  return;
}
add('listen({fd: 99999}) and listen({fd: -1})', (done) => {
  const out = []; const s = net.createServer();
  s.on('listening', () => out.push('listening!?')); s.on('close', () => out.push('close!?'));
  s.on('error', (e) => {
    out.push(J({ code: e.code, errno: e.errno, syscall: e.syscall, message: e.message, address: e.address, port: e.port }),
      'listening:' + s.listening, 'address:' + J(s.address()));
    try { s.listen({ fd: -1 }); } catch (e2) { out.push(J([e2.code, e2.name, e2.message])); }
    setTimeout(() => { log(out.join('\n')); done(); }, 20);
  });
  s.listen({ fd: 99999 }); out.push('sync-listening:' + s.listening);
});
add('listen again after close(), no connections', (done) => {
  const out = []; const s = net.createServer();
  s.on('listening', () => out.push('listening')); s.on('close', () => out.push('close'));
  s.listen(0, '127.0.0.1', () => s.close(() => s.listen(0, '127.0.0.1', () => { out.push('second-cb'); s.close(() => { log(J(out)); done(); }); })));
});
add('listen again after close() while a connection is open', (done) => {
  const out = []; let client;
  const s = net.createServer((c) => {
    out.push('connection'); c.on('close', () => out.push('conn-close'));
    s.close((e) => out.push('close-cb-1:' + e));
    s.listen(0, '127.0.0.1', () => {
      out.push('relistening:' + s.listening);
      setTimeout(() => client.end(), 30);
      setTimeout(() => { out.push('second-close'); s.close((e) => out.push('close-cb-2:' + e)); }, 100);
    });
  });
  s.on('close', () => out.push('close-event')); s.on('listening', () => out.push('listening'));
  s.listen(0, '127.0.0.1', () => { client = net.connect(s.address().port, '127.0.0.1'); client.resume(); });
  setTimeout(() => { log(J(out)); done(); }, 300);
});
add('ERR_SERVER_ALREADY_LISTEN for the path and fd forms', (done) => {
  const s = net.createServer(); const out = [];
  s.listen(0, '127.0.0.1', () => {
    try { s.listen('/tmp/net-node-x.sock'); } catch (e) { out.push(e.code); }
    try { s.listen({ fd: 99999 }); } catch (e) { out.push(e.code); }
    log(J(out), 'file:', fs.existsSync('/tmp/net-node-x.sock')); s.close(done);
  });
});
add('EADDRNOTAVAIL', (done) => {
  const out = []; const s = net.createServer(); s.on('close', () => out.push('close'));
  s.on('error', (e) => {
    out.push(J({ code: e.code, errno: e.errno, syscall: e.syscall, address: e.address, port: e.port, message: e.message, hasPort: 'port' in e }), 'listening:' + s.listening);
    if (out.length < 4) s.listen(8123, '192.0.2.1');
    else s.listen(0, '127.0.0.1', () => { out.push('relisten-ok'); s.close(() => { log(out.join('\n')); done(); }); });
  });
  s.listen(0, '192.0.2.1');
});
add('getaddrinfo failure', (done) => {
  const s = net.createServer();
  s.on('error', (e) => { log(J({ code: e.code, errno: e.errno, syscall: e.syscall, hostname: e.hostname, message: e.message }), 'listening:' + s.listening); done(); });
  s.listen(0, 'no-such-host.invalid');
});
add('bad host and path types', (done) => {
  const out = [];
  for (const o of [{ port: 0, host: 5 }, { path: 5 }, { path: '' }]) {
    try { net.createServer().listen(o); out.push('no throw'); } catch (e) { out.push(J([e.code, e.name, e.message])); }
  }
  log(out.join('\n')); done();
});
add('backlog as Node reads it: ToInt32(backlog || 511); negative arguments are ignored', (done) => {
  const cases = [['listen(0, host, 0.5)', [0.5]], ['listen(0, host, 1/0)', [Infinity]], ['listen(0, host, 0/0)', [NaN]],
    ['listen(0, host, -1)', [-1]], ['listen({backlog: 2**32 + 5})', null, 2 ** 32 + 5],
    ['listen({backlog: 7.9})', null, 7.9], ['listen({backlog: -3})', null, -3]];
  const one = (i) => {
    if (i === cases.length) return done();
    const [name, args, opt] = cases[i];
    const s = net.createServer();
    const then = () => { log(name, sendQ(s.address().port)); s.close(() => one(i + 1)); };
    if (args) s.listen(0, '127.0.0.1', ...args, then);
    else s.listen({ port: 0, host: '127.0.0.1', backlog: opt }, then);
  };
  one(0);
});
add('listen(path, Infinity) and listen(0, 0.5) listen', (done) => {
  const path = `/tmp/net-spec-${process.pid}-inf.sock`;
  const s = net.createServer();
  s.listen(path, Infinity, () => {
    log('path, Infinity:', s.address() === path);
    s.close(() => s.listen(0, 0.5, () => { log('0, 0.5:', typeof s.address().port); s.close(done); }));
  });
});
add('listen(process.stdout): an EINVAL error event, later', (done) => {
  const s = net.createServer();
  const out = [];
  s.on('error', (e) => { out.push(J([e.code, e.syscall, e.message, e.address, e.port])); log(J(out)); done(); });
  s.listen(process.stdout);
  out.push('returned');
});
add('a second listen() cancels the first one that still waits for its lookup', (done) => {
  const path = `/tmp/net-spec-${process.pid}-second.sock`;
  const s = net.createServer();
  const out = [];
  s.on('listening', () => { out.push('listening:' + (s.address() === path)); setTimeout(() => s.close(), 50); });
  s.on('error', (e) => out.push('error:' + e.code));
  s.on('close', () => { out.push('close'); log(J(out)); done(); });
  s.listen(0, '127.0.0.1');
  s.listen(path);
});
add('uncaught listen error', (done) => {
  process.once('uncaughtException', (e) => { log('uncaught:', e.code); done(); });
  net.createServer().listen(0, '192.0.2.1');
});
next();
