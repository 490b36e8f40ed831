// Every event a socket emits, seen through an `emit` of its own (a wrapper
// Node tests often use), in four exchanges (spec/stream_spec.lua): the
// server ends after the first chunk, the client ends while connecting, the
// server destroys in 'data', a half-open server writes after 'end'.
const net = require('net');
const wrap = (s, log) => { const o = s.emit; s.emit = function (n, ...a) { log.push(n); return o.call(this, n, ...a); }; };
const out = {};
let pending = 4;
function done(k, v) { out[k] = v; if (--pending === 0) console.log(JSON.stringify(out)); }
// 0: the server echoes nothing, ends after the first chunk
{
  const slog = [], clog = [];
  const server = net.createServer((s) => {
    wrap(s, slog);
    s.on('data', (d) => { slog.push('listener:' + d); s.end(); });
    s.on('close', () => server.close());
  });
  server.listen(0, '127.0.0.1', () => {
    const c = new net.Socket(); wrap(c, clog);
    c.connect(server.address().port, '127.0.0.1', () => c.write('hi'));
    c.on('data', () => {});
    c.on('end', () => c.end());
    c.on('close', () => setTimeout(() => done('endAfterData', { server: slog, client: clog }), 30));
  });
}
// 1: client ends while connecting
{
  const slog = [], clog = [];
  const server = net.createServer((s) => { wrap(s, slog); s.on('data', () => {}); s.on('end', () => s.end()); s.on('close', () => { server.close(); }); });
  server.listen(0, '127.0.0.1', () => {
    const c = new net.Socket(); wrap(c, clog);
    c.connect(server.address().port, '127.0.0.1');
    c.end('bye');
    c.on('close', () => setTimeout(() => done('endWhileConnecting', { server: slog, client: clog }), 30));
  });
}
// 2: server destroys in 'data'
{
  const slog = [], clog = [];
  const server = net.createServer((s) => { wrap(s, slog); s.on('data', () => s.destroy()); s.on('close', () => server.close()); });
  server.listen(0, '127.0.0.1', () => {
    const c = new net.Socket(); wrap(c, clog);
    c.connect(server.address().port, '127.0.0.1', () => c.write('x'));
    c.on('error', () => {});
    c.on('close', () => setTimeout(() => done('destroyInData', { server: slog, client: clog }), 30));
  });
}
// 3: allowHalfOpen server writes after end
{
  const slog = [], clog = [];
  const server = net.createServer({ allowHalfOpen: true }, (s) => { wrap(s, slog); s.on('data', () => {}); s.on('end', () => { s.end('late'); }); s.on('close', () => server.close()); });
  server.listen(0, '127.0.0.1', () => {
    const c = new net.Socket(); wrap(c, clog);
    c.connect(server.address().port, '127.0.0.1', () => c.end('hi'));
    c.on('data', () => {});
    c.on('close', () => setTimeout(() => done('halfOpen', { server: slog, client: clog }), 30));
  });
}
