// Scenarios behind the connect-timeout spec: how the socket's idle timeout
// (setTimeout / the `timeout` option) behaves while connecting, and how write
// progress keeps it from firing. Run `node spec/node/connect_timeout.js`.
// Loopback only; a blackholed address is a listener with a full accept queue
// (./blackhole.js). Times are printed as checks, not raw numbers.
'use strict';
const net = require('net');
const blackhole = require('./blackhole.js');
const log = (...a) => console.log(...a);
const J = JSON.stringify;
const scenarios = [];
const add = (name, fn) => scenarios.push([name, fn]);
const next = () => { const s = scenarios.shift(); if (!s) return; log('==', s[0]); s[1](next); };
const now = () => Number(process.hrtime.bigint() / 1000000n);

add("timeout option, blackholed address: 'timeout' while connecting, nothing else; destroy() closes quietly", (done) => {
  blackhole(['127.0.0.2'], (port, stop) => {
    const out = [];
    const t0 = now();
    const s = net.connect({ host: '127.0.0.2', port, timeout: 200 });
    out.push('timeout-field:' + s.timeout);
    s.on('connectionAttempt', (ip) => out.push('attempt:' + ip));
    s.on('timeout', () => {
      const dt = now() - t0;
      out.push(`timeout:connecting=${s.connecting}:pending=${s.pending}:readyState=${s.readyState}:` +
        `destroyed=${s.destroyed}:after>=200:${dt >= 198}:before400:${dt < 400}`);
      setTimeout(() => { out.push('still-connecting-100ms-later:' + s.connecting); s.destroy(); }, 100);
    });
    s.on('error', (e) => out.push('error:' + e.code));
    s.on('close', (h) => { out.push('close:' + h); log('  ' + J(out)); stop(); done(); });
  });
});

add('setTimeout(ms, cb) before connect(): the same; the cb is a once listener', (done) => {
  blackhole(['127.0.0.2'], (port, stop) => {
    const out = [];
    const s = new net.Socket();
    s.setTimeout(150, () => out.push('cb:connecting=' + s.connecting));
    s.on('timeout', () => { out.push('timeout:connecting=' + s.connecting); s.destroy(); });
    s.connect(port, '127.0.0.2');
    s.on('close', (h) => { out.push('close:' + h + ':listeners=' + s.listenerCount('timeout')); log('  ' + J(out)); stop(); done(); });
  });
});

add('connect() restarts the idle timer: setTimeout(150), connect 100 ms later, timeout >= 150 ms after connect', (done) => {
  blackhole(['127.0.0.2'], (port, stop) => {
    const out = [];
    const s = new net.Socket();
    s.setTimeout(150);
    let tc;
    setTimeout(() => { tc = now(); s.connect(port, '127.0.0.2'); }, 100);
    s.on('timeout', () => { out.push(`timeout:after-connect>=150:${now() - tc >= 148}`); s.destroy(); });
    s.on('close', () => { log('  ' + J(out)); stop(); done(); });
  });
});

add("a slow lookup: 'timeout' fires during the lookup; the connect goes on; the timer re-arms after connect", (done) => {
  const server = net.createServer((c) => c.resume()).listen(0, '127.0.0.1', () => {
    const port = server.address().port;
    const out = [];
    const t0 = now();
    let tc;
    const s = net.connect({ host: 'slow.invalid', port, timeout: 150, family: 4,
      lookup: (h, o, cb) => setTimeout(cb, 300, null, '127.0.0.1', 4) });
    s.on('lookup', () => out.push('lookup'));
    s.on('connect', () => { tc = now(); out.push('connect'); });
    let n = 0;
    s.on('timeout', () => {
      n++;
      if (n === 1) out.push(`timeout1:connecting=${s.connecting}:after>=150:${now() - t0 >= 148}`);
      else { out.push(`timeout2:connecting=${s.connecting}:after-connect>=150:${now() - tc >= 148}`); s.destroy(); }
    });
    s.on('close', (h) => { out.push('close:' + h); log('  ' + J(out)); server.close(done); });
  });
});

add('Happy Eyeballs, every address blackholed: the last attempt has no attempt timer; the idle timeout fires while connecting', (done) => {
  blackhole(['127.0.0.2', '127.0.0.3'], (port, stop) => {
    const out = [];
    const t0 = now();
    const s = net.connect({ host: 'bh.invalid', port, timeout: 400, autoSelectFamilyAttemptTimeout: 100,
      lookup: (h, o, cb) => setImmediate(cb, null, [{ address: '127.0.0.2', family: 4 }, { address: '127.0.0.3', family: 4 }]) });
    s.on('connectionAttempt', (ip) => out.push('attempt:' + ip));
    s.on('connectionAttemptTimeout', (ip) => out.push('attemptTimeout:' + ip));
    s.on('timeout', () => {
      out.push(`timeout:connecting=${s.connecting}:after>=400:${now() - t0 >= 398}`);
      setTimeout(() => { out.push('no-more-attempt-events-300ms-later'); s.destroy(); }, 300);
    });
    s.on('error', (e) => out.push('error:' + e.code));
    s.on('close', (h) => { out.push('close:' + h + ':attempted=' + s.autoSelectFamilyAttemptedAddresses.length); log('  ' + J(out)); stop(); done(); });
  });
});

add('setTimeout(0) while connecting: no timeout', (done) => {
  blackhole(['127.0.0.2'], (port, stop) => {
    const out = [];
    const s = net.connect({ host: '127.0.0.2', port, timeout: 100 });
    s.setTimeout(0);
    s.on('timeout', () => out.push('timeout'));
    setTimeout(() => { out.push('destroy'); s.destroy(); }, 300);
    s.on('close', (h) => { out.push('close:' + h); log('  ' + J(out)); stop(); done(); });
  });
});

const MiB = 1024 * 1024;
// Once the write callback has run, the last MiBs sit in the kernel's buffers
// and drain with no event the writer can see: a 'timeout' can come after
// 'finish' (it did here: about 2.5 MiB were left, 400 ms at this pace). So the
// writer turns its timer off in the write callback; what is checked is that no
// 'timeout' comes while the write is in progress.
add("a slow but steady reader (64 KiB per 10 ms) of 21 MiB: the writer's setTimeout(300) never fires while writing", (done) => {
  let received = 0;
  let readerDone;
  const server = net.createServer((c) => {
    let chunkCount = 0;
    c.on('data', (d) => {
      received += d.length;
      chunkCount += d.length;
      if (chunkCount >= 64 * 1024) {
        chunkCount = 0;
        c.pause();
        setTimeout(() => c.resume(), 10);
      }
    });
    c.on('end', () => { c.end(); readerDone(); });
  }).listen(0, '127.0.0.1', () => {
    const out = [];
    const t0 = now();
    const w = net.connect(server.address().port, '127.0.0.1');
    w.setTimeout(300);
    w.on('timeout', () => { out.push(`timeout:at ${received} bytes`); });
    w.on('connect', () => {
      w.write(Buffer.alloc(21 * MiB, 7), () => { out.push(`write-cb:writableLength=${w.writableLength}`); w.setTimeout(0); });
      w.end();
    });
    w.on('finish', () => out.push('finish'));
    w.resume();
    readerDone = () => out.push(`reader-end:${received === 21 * MiB}:took>1s:${now() - t0 > 1000}`);
    w.on('close', (h) => { out.push('close:' + h); log('  ' + J(out)); server.close(done); });
  });
});

add("a reader that stops: the writer's 'timeout' fires (between 300 and 600+ ms after the last progress)", (done) => {
  let received = 0;
  let peer;
  let tStop;
  const server = net.createServer((c) => {
    peer = c;
    c.on('data', (d) => {
      received += d.length;
      if (received >= 1 * MiB) { c.pause(); if (!tStop) tStop = now(); }
    });
  }).listen(0, '127.0.0.1', () => {
    const out = [];
    const w = net.connect(server.address().port, '127.0.0.1');
    w.setTimeout(300);
    w.on('connect', () => w.write(Buffer.alloc(21 * MiB, 7), (err) => out.push('write-cb:' + (err && err.code))));
    w.on('timeout', () => {
      const dt = now() - tStop;
      out.push(`timeout:connecting=${w.connecting}:writableLength>0:${w.writableLength > 0}:` +
        `after-stop>=300:${dt >= 298}:before-stop+1000:${dt < 1000}`);
      log('  (ms after the reader stopped: ' + dt + ')');
      w.destroy();
      peer.destroy();
    });
    w.on('close', (h) => { out.push('close:' + h); log('  ' + J(out)); server.close(done); });
  });
});

next();
