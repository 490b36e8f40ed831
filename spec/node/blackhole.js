// A "blackhole" for the connect-timeout scenarios: a listener whose accept
// queue is full, so the kernel drops further SYNs and a connect() to it hangs
// (retransmitting SYNs) until something else ends it. The listener lives in a
// child process whose JS thread blocks at once (Atomics.wait), so it never
// accepts. Node turns a backlog of 0 into 511, so it listens with backlog 1
// and we connect until a connect no longer completes (two fit, on Linux).
// blackhole(['127.0.0.2', '127.0.0.3'], (port, stop) => ...): the same port on
// every address; stop() ends the child and the filler connections.
'use strict';
const net = require('net');
const { spawn } = require('child_process');

const CHILD = `
const net = require('net');
const hosts = JSON.parse(process.argv[1]);
let port = 0;
const listenNext = (i) => {
  if (i === hosts.length) {
    process.stdout.write(port + '\\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120000);
    process.exit(0);
  }
  const s = net.createServer();
  s.on('error', () => process.exit(1));
  s.listen({ host: hosts[i], port, backlog: 1 }, () => { port = s.address().port; listenNext(i + 1); });
};
listenNext(0);
`;

module.exports = function blackhole(hosts, fn) {
  const child = spawn(process.execPath, ['-e', CHILD, JSON.stringify(hosts)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    if (!buf.includes('\n')) return;
    const port = Number(buf.trim());
    const fillers = [];
    const fill = (i) => {
      if (i === hosts.length) return fn(port, stop);
      const f = net.connect({ host: hosts[i], port });
      f.on('error', () => {});
      fillers.push(f);
      const full = setTimeout(() => { f.destroy(); fill(i + 1); }, 200);
      f.on('connect', () => { clearTimeout(full); fill(i); });
    };
    fill(0);
    function stop() {
      for (const f of fillers) f.destroy();
      child.kill('SIGKILL');
    }
  });
};
