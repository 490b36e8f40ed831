// The line protocol of bench/run-lines.sh with Node's net: 'data'
// listeners, lines split with indexOf/slice, a partial line kept for the
// next chunk. With CORK=1 the answers to one chunk are corked and leave as
// one write (Node's cork() + nextTick(uncork) idiom).
//   node bench/lines-server.js [port]
//   "GET <key>\n" -> "VALUE <value>\n" | "NOT_FOUND\n"
'use strict';
const net = require('net');

const cork = process.env.CORK === '1';
const store = new Map();
for (let k = 0; k < 1000; k++) store.set('key' + k, 'value-' + k + '-' + 'x'.repeat(k % 32));

const server = net.createServer({ noDelay: true }, (sock) => {
  let pending = '';
  sock.setEncoding('utf8');
  sock.on('data', (chunk) => {
    if (pending !== '') chunk = pending + chunk;
    if (cork) { sock.cork(); process.nextTick(() => sock.uncork()); }
    let pos = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', pos);
      if (nl < 0) break;
      let stop = nl;
      if (stop > pos && chunk.charCodeAt(stop - 1) === 13) stop--; // CR LF
      const value = chunk.startsWith('GET ', pos) ? store.get(chunk.slice(pos + 4, stop)) : undefined;
      sock.write(value !== undefined ? 'VALUE ' + value + '\n' : 'NOT_FOUND\n');
      pos = nl + 1;
    }
    pending = chunk.slice(pos);
  });
  sock.on('error', () => {});
});
server.listen(Number(process.argv[2]) || 0, '127.0.0.1', () => {
  console.log('listening on ' + server.address().port);
});
