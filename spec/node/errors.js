// Scenarios behind spec/errors_spec.lua (and the error fields in the client/server specs).
'use strict';
const net = require('net');
const show = (name, v) => console.log(name + ':', JSON.stringify(v));
const fields = (e) => ({ name: e.name, message: e.message, code: e.code, errno: e.errno,
  syscall: e.syscall, address: e.address, port: e.port, string: String(e), keys: Object.keys(e) });

{ const e = new Error('boom'); show('plain', [e.name, e.message, String(e)]); }
{ const e = new Error(''); show('empty-message', String(e)); show('no-message', [String(new Error()), new Error().message]); }
{ const e = Object.assign(new Error('x'), { code: 'EX', errno: -5 }); show('with-fields', fields(e)); }
{ try { net.connect({ port: -1 }); } catch (e) { show('bad-port', fields(e)); } }
{ try { new net.Socket().write(5); } catch (e) { show('bad-chunk', fields(e)); } }

const probe = net.createServer();
probe.listen(0, '127.0.0.1', () => {
  const port = probe.address().port;
  // EADDRINUSE while probe still listens
  const s2 = net.createServer();
  s2.on('error', (e) => {
    show('eaddrinuse', Object.assign(fields(e), { port: e.port === port ? 'PORT' : e.port,
      message: e.message.replace(String(port), 'PORT'), string: String(e).replace(String(port), 'PORT') }));
    probe.close(() => {
      const c = net.connect(port, '127.0.0.1');
      c.on('error', (e2) => show('econnrefused', Object.assign(fields(e2), { port: e2.port === port ? 'PORT' : e2.port,
        message: e2.message.replace(String(port), 'PORT'), string: String(e2).replace(String(port), 'PORT') })));
    });
  });
  s2.listen(port, '127.0.0.1');
});
