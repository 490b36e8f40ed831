// Every event a socket emits, seen through an `emit` of its own (a wrapper
// Node tests often use): server side and client side of one exchange.
const net = require('net');
const wrap = (s, log) => {
  const orig = s.emit;
  s.emit = function (name, ...args) { log.push(name); return orig.call(this, name, ...args); };
};
const slog = [], clog = [];
const server = net.createServer((s) => {
  wrap(s, slog);
  s.on('data', (d) => { slog.push('listener:' + d); s.end(); });
  s.on('close', () => server.close());
});
server.listen(0, '127.0.0.1', () => {
  const c = new net.Socket();
  wrap(c, clog);
  c.connect(server.address().port, '127.0.0.1', () => c.write('hi'));
  c.on('data', () => {});
  c.on('end', () => c.end());
  c.on('close', () => setTimeout(() => console.log(JSON.stringify({ server: slog, client: clog })), 20));
});
