// Scenarios behind spec/loop_spec.lua: what runs synchronously and what an
// uncaught error does. Run `node spec/node/loop.js` (it exits 1 at the end, on purpose).
'use strict';
const net = require('net');
const log = (...a) => console.log(...a);
const out = [];
const server = net.createServer((c) => { c.resume(); c.end(); });
server.listen(0, '127.0.0.1', () => out.push('listen-cb'));
process.on('exit', () => log('exit', JSON.stringify(out)));
out.push('after-listen:' + server.listening);
server.on('listening', () => {
  const port = server.address().port;
  const s = net.connect(port, '127.0.0.1', () => out.push('connect-cb'));
  s.resume();
  out.push('after-connect');
  s.write('x', (err) => out.push('write-cb:' + err));
  out.push('after-write');
  s.on('connect', () => {
    s.write('y', (err) => out.push('write-cb-connected:' + err));
    out.push('after-write-connected');
    s.end(() => out.push('end-cb'));
    out.push('after-end');
  });
  s.on('close', () => {
    const d = new net.Socket();
    d.on('close', () => {
      out.push('destroy-close');
      server.close(() => {
        out.push('server-close-cb');
        server.close((err) => {
          out.push('close-again-cb:' + err.code);
          log(JSON.stringify(out));
          // an uncaught error: the second timer due at the same time never runs
          setTimeout(() => { log('first timer throws'); throw new Error('boom in cb'); }, 1);
          setTimeout(() => log('NEVER: second timer'), 1);
        });
        out.push('after-close-again');
      });
    });
    d.destroy(); out.push('after-destroy:' + d.destroyed);
  });
});
