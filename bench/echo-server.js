// Node.js `net` echo server for bench/run-echo.sh: the same shape as
// examples/echo-server.lua ('data' -> write, no pause/resume of its own).
//
//   node bench/echo-server.js PORT [HOST]     (HOST defaults to 127.0.0.1)
//
// Prints "listening on PORT" once bound and runs until SIGINT/SIGTERM.
'use strict';
const net = require('net');

const port = Number(process.argv[2] ?? 0);
const host = process.argv[3] ?? '127.0.0.1';

const server = net.createServer((socket) => {
  socket.on('data', (data) => socket.write(data));
  socket.on('error', () => {}); // a reset when the load generator quits
});
server.on('error', (err) => {
  console.error(`echo-server.js: ${err.message}`);
  process.exit(1);
});
server.listen(port, host, () => {
  console.log(`listening on ${server.address().port}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => process.exit(0));
}
