// The scenario behind spec/write_after_fin_spec.lua (node v20): run with
// the argument with-error-listener.
const net = require('net');
const server = net.createServer((sock) => {
  if (process.argv[2] === 'with-error-listener') sock.on('error', (e) => console.log('error event:', e.code, e.message));
  sock.on('end', () => console.log('end: writable', sock.writable));
  sock.on('finish', () => {
    console.log('finish: writable', sock.writable, 'destroyed', sock.destroyed);
    sock.write('broadcast\n', (err) => console.log('write callback:', err && err.code));
  });
  sock.on('close', (h) => { console.log('close hadError', h, 'errored', sock.errored && sock.errored.code); server.close(); });
});
server.listen(0, '127.0.0.1', () => {
  const c = net.connect(server.address().port, '127.0.0.1');
  c.on('connect', () => c.end());
});
