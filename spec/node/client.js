// Scenarios behind spec/client_spec.lua: run `node spec/node/client.js`.
// Each socket's events are logged in its own list: the order across two sockets
// depends on the kernel, the order on one socket does not.
'use strict';
const net = require('net');
const log = (...a) => console.log(...a);
const J = JSON.stringify;
const scenarios = [];
const add = (name, fn) => scenarios.push([name, fn]);
const next = () => { const s = scenarios.shift(); if (!s) return; log('==', s[0]); s[1](next); };
function trace(sock, out, extra) {
  sock.on('connect', () => out.push('connect'));
  sock.on('ready', () => out.push('ready'));
  sock.on('data', (d) => out.push('data:' + d));
  sock.on('end', () => out.push('end' + (extra ? ':writableEnded=' + sock.writableEnded : '')));
  sock.on('finish', () => out.push('finish'));
  sock.on('error', (e) => out.push('error:' + e.code));
  sock.on('close', (h) => out.push('close:' + h));
}

add('connect-cb-order', (done) => {
  const out = [];
  const server = net.createServer((c) => c.end());
  server.listen(0, '127.0.0.1', () => {
    const s = net.connect(server.address().port, '127.0.0.1', (...args) => out.push('cb:' + args.length));
    trace(s, out);
    s.on('close', () => server.close(() => { log(J(out)); done(); }));
  });
});
add('variants', (done) => {
  const out = [];
  const server = net.createServer((c) => c.end('hi'));
  server.listen(0, '127.0.0.1', () => {
    const port = server.address().port; let n = 0;
    const fin = () => { if (++n === 4) server.close(() => { log(J(out)); done(); }); };
    const one = (name, s) => {
      let got = '', addr;
      s.on('connect', () => { addr = s.remoteAddress + ':' + s.remoteFamily + ':' + (s.remotePort === port); });
      s.on('data', (d) => { got += d; }); s.on('close', () => { out.push(name + ':' + got + ':' + addr); fin(); });
    };
    one('createConnection', net.createConnection(port, '127.0.0.1'));
    one('options', net.connect({ port, host: '127.0.0.1' }));
    one('localhost', net.connect(port, 'localhost'));
    one('options-localhost', net.connect({ port, host: 'localhost' }));
  });
});
add('client-ends-first', (done) => {
  const c = [], s = [];
  const server = net.createServer((sock) => { trace(sock, s, true); });
  server.listen(0, '127.0.0.1', () => {
    const cl = net.connect(server.address().port, '127.0.0.1');
    trace(cl, c, true);
    cl.on('connect', () => { cl.write('ping'); cl.end(); });
    cl.on('close', () => server.close(() => setTimeout(() => { log('client', J(c)); log('server', J(s)); done(); }, 20)));
  });
});
add('server-ends-first', (done) => {
  const c = [], s = [];
  const server = net.createServer((sock) => { trace(sock, s, true); sock.end('bye'); });
  server.listen(0, '127.0.0.1', () => {
    const cl = net.connect(server.address().port, '127.0.0.1');
    trace(cl, c, true);
    server.on('close', () => setTimeout(() => { log('client', J(c)); log('server', J(s)); done(); }, 20));
    cl.on('close', () => server.close());
  });
});
add('allowHalfOpen-default', (done) => {
  const out = [];
  const server = net.createServer((sock) => {
    out.push('server-sock.allowHalfOpen=' + sock.allowHalfOpen);
    sock.on('end', () => out.push('in-end:writableEnded=' + sock.writableEnded + ':writable=' + sock.writable));
    sock.resume();
  });
  server.listen(0, '127.0.0.1', () => {
    const cl = net.connect(server.address().port, '127.0.0.1');
    out.push('client.allowHalfOpen=' + cl.allowHalfOpen);
    cl.on('connect', () => cl.end());
    cl.on('end', () => out.push('client-end'));
    cl.resume();
    cl.on('close', () => server.close(() => { log(J(out)); done(); }));
  });
});
add('allowHalfOpen-true', (done) => {
  const c = [], s = [];
  const server = net.createServer({ allowHalfOpen: true }, (sock) => {
    s.push('allowHalfOpen=' + sock.allowHalfOpen);
    trace(sock, s, true);
    sock.on('end', () => { setTimeout(() => { sock.write('late'); sock.end(); }, 20); });
  });
  server.listen(0, '127.0.0.1', () => {
    const cl = net.connect(server.address().port, '127.0.0.1');
    trace(cl, c, true);
    cl.on('connect', () => cl.end());
    cl.on('close', () => server.close(() => setTimeout(() => { log('client', J(c)); log('server', J(s)); done(); }, 20)));
  });
});
add('econnrefused', (done) => {
  const probe = net.createServer();
  probe.listen(0, '127.0.0.1', () => {
    const port = probe.address().port;
    probe.close(() => {
      const out = [];
      const cl = net.connect(port, '127.0.0.1', () => out.push('connect-cb'));
      trace(cl, out);
      cl.on('error', (e) => out.push(J({ errno: e.errno, syscall: e.syscall, address: e.address, samePort: e.port === port,
        message: e.message.replace(String(port), 'PORT'), destroyed: cl.destroyed })));
      cl.on('close', () => { out.push('destroyed=' + cl.destroyed); log(J(out)); done(); });
    });
  });
});
next();
