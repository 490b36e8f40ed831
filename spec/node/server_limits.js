// Scenarios behind spec/server_limits_spec.lua: run `node spec/node/server_limits.js`.
// Each scenario prints `== name` and then what the Lua spec expects.
// maxConnections = 0 dropping everything is v21+ (v20 treats 0 as no limit,
// shown below); dropMaxConnection is v22.12+/v23.1+ and, per the latest docs,
// only has an effect in cluster mode: outside a cluster the connection over
// the limit is dropped either way. `<close>` is Symbol.asyncDispose.
'use strict';
const net = require('net');
const fs = require('fs');
const { spawnSync } = require('child_process');
const log = (...a) => console.log(...a);
const J = JSON.stringify;
const scenarios = [];
const add = (name, fn) => scenarios.push([name, fn]);
const next = () => { const s = scenarios.shift(); if (!s) return; log('==', s[0]); s[1](next); };
const trace = (c, out, tag) => { for (const ev of ['connect', 'end', 'error', 'close']) c.on(ev, (x) => out.push(tag + ev + (x === undefined ? '' : ':' + (x.code || x)))); };

add('maxConnections = 1: drop with its data, then room again', (done) => {
  const out = []; const c2log = [];
  const s = net.createServer((c) => { out.push('connection'); c.on('data', (d) => c.write(d)); });
  out.push('default:' + s.maxConnections);
  s.maxConnections = 1;
  let c1, c2;
  s.on('drop', (d) => {
    out.push('drop:' + J(Object.keys(d)) + ':' + J([d.localAddress, d.localFamily, d.remoteAddress, d.remoteFamily,
      d.localPort === s.address().port, d.remotePort === c2.localPort]));
    s.getConnections((e, n) => out.push('connections-at-drop:' + n));
  });
  s.listen(0, '127.0.0.1', () => {
    const port = s.address().port;
    c1 = net.connect(port, '127.0.0.1', () => {
      c2 = net.connect(port, '127.0.0.1'); trace(c2, c2log, ''); c2.resume();
      c2.on('close', () => {
        c1.write('still-served'); c1.once('data', (d) => {
          out.push('c1-got:' + d); c1.end();
          c1.on('close', () => setTimeout(() => {
            const c3 = net.connect(port, '127.0.0.1', () => { out.push('c3-connected'); c3.end(); });
            c3.resume(); c3.on('close', () => s.close(() => { log(J(out)); log('c2:', J(c2log)); done(); }));
          }, 20));
        });
      });
    });
  });
});
add('IPv6 drop data', (done) => {
  const out = []; let held;
  const s = net.createServer((c) => { held = c; }); s.maxConnections = 1;
  s.on('drop', (d) => out.push(J([d.localAddress, d.localFamily, d.remoteAddress, d.remoteFamily])));
  s.listen(0, '::1', () => {
    const c1 = net.connect(s.address().port, '::1', () => {
      const c2 = net.connect(s.address().port, '::1'); c2.resume();
      c2.on('close', () => { c1.destroy(); held.destroy(); s.close(() => { log(J(out)); done(); }); });
    });
  });
});
add('pipe drop: no data', (done) => {
  const p = `/tmp/net-node-limits-${process.pid}.sock`; const out = []; const c2log = []; let held;
  const s = net.createServer((c) => { held = c; }); s.maxConnections = 1;
  s.on('drop', function(d) { out.push('drop:' + J(d) + ':nargs=' + arguments.length); });
  s.listen(p, () => {
    const c1 = net.connect(p, () => {
      const c2 = net.connect(p); trace(c2, c2log, ''); c2.resume();
      c2.on('close', () => { c1.destroy(); held.destroy(); s.close(() => { log(J(out), J(c2log)); done(); }); });
    });
  });
});
add('maxConnections = 0 (v20: no limit; v21+: every connection dropped)', (done) => {
  const out = []; const s = net.createServer((c) => { out.push('connection'); c.end(); }); s.maxConnections = 0;
  s.on('drop', () => out.push('drop'));
  s.listen(0, '127.0.0.1', () => { const c = net.connect(s.address().port, '127.0.0.1'); c.resume(); c.on('close', () => s.close(() => { log(J(out)); done(); })); });
});
add('lowering maxConnections keeps the connections already there', (done) => {
  const out = []; const held = [];
  const s = net.createServer((c) => { held.push(c); c.on('data', (d) => c.write('echo:' + d)); }); s.maxConnections = 3;
  s.on('drop', () => out.push('drop'));
  s.listen(0, '127.0.0.1', () => {
    const port = s.address().port; const cs = [];
    let connected = 0;
    for (let i = 0; i < 2; i++) {
      cs[i] = net.connect(port, '127.0.0.1', () => {
        if (++connected < 2) return;
        setTimeout(() => {
          s.maxConnections = 1; out.push('lowered');
          const c3 = net.connect(port, '127.0.0.1'); c3.resume();
          c3.on('close', () => {
            let got = 0;
            for (const c of cs) {
              c.write('x'); c.once('data', (d) => { out.push('kept:' + d); if (++got === 2) { s.getConnections((e, n) => { out.push('connections:' + n); for (const k of cs) k.destroy(); for (const h of held) h.destroy(); s.close(() => { log(J(out)); done(); }); }); } });
            }
          });
        }, 20);
      });
    }
  });
});
add('dropMaxConnection outside a cluster: no effect', (done) => {
  const out = []; let held;
  const s = net.createServer((c) => { held = c; c.on('data', (d) => c.write(d)); });
  out.push('default:' + s.dropMaxConnection);
  s.maxConnections = 1; s.dropMaxConnection = true; out.push('set:' + s.dropMaxConnection);
  s.on('drop', () => out.push('drop'));
  s.listen(0, '127.0.0.1', () => {
    const c1 = net.connect(s.address().port, '127.0.0.1', () => {
      const c2 = net.connect(s.address().port, '127.0.0.1'); c2.resume();
      c2.on('close', () => { c1.write('oldest-kept'); c1.once('data', (d) => { out.push('c1-got:' + d); c1.destroy(); held.destroy(); s.close(() => { log(J(out)); done(); }); }); });
    });
  });
});
add('getConnections', (done) => {
  const out = [];
  const idle = net.createServer();
  idle.getConnections((e, n) => out.push('not-listening:' + e + ':' + n));
  const s = net.createServer((c) => {
    s.getConnections((e, n) => out.push('in-connection:' + n));
    c.on('close', () => s.getConnections((e, n) => { out.push('after-close:' + n); s.close(() => { log(out.join('\n')); done(); }); }));
    c.end();
  });
  const r = s.getConnections((e, n) => out.push('cb:' + e + ':' + n + ':' + typeof n));
  out.push('after-call', 'returns-server:' + (r === s));
  for (const v of [undefined, 5]) { try { s.getConnections(v); out.push('no throw'); } catch (e) { out.push(J([e.code, e.name, e.message])); } }
  s.listen(0, '127.0.0.1', () => { const c = net.connect(s.address().port, '127.0.0.1'); c.resume(); });
});
add('ref / unref (separate processes: does the loop end?)', (done) => {
  const prog = (body) => spawnSync(process.execPath, ['-e', `const net=require('net'); const t0=Date.now(); ${body}; process.on('exit',()=>console.log(JSON.stringify(out), 'fast=' + (Date.now()-t0<1000)));`], { encoding: 'utf8', timeout: 5000 }).stdout.trim();
  log('unref-after-listen', prog("const out=[]; const s=net.createServer(); s.listen(0,()=>{ out.push('listening'); out.push('returns:'+(s.unref()===s)); process.on('exit',()=>out.push('listening-at-exit:'+s.listening)); })"));
  log('unref-before-listen', prog("const out=[]; const s=net.createServer(); s.unref(); s.listen(0,()=>out.push('listening'))"));
  log('ref-again', prog("const out=[]; const s=net.createServer(); s.unref(); out.push('ref-returns:'+(s.ref()===s)); s.listen(0,()=>out.push('listening')); setTimeout(()=>{ out.push('timer-closes'); s.close(); },100).unref()"));
  log('unref-with-connection', prog("const out=[]; const s=net.createServer((c)=>{ out.push('connection'); setTimeout(()=>{ out.push('conn-ends'); c.end(); },100).unref(); c.on('close',()=>out.push('conn-close')); }); s.listen(0,'127.0.0.1',()=>{ s.unref(); const c=net.connect(s.address().port,'127.0.0.1'); c.resume(); c.unref(); })"));
  done();
});
add('asyncDispose (<close>)', async (done) => {
  const out = [];
  const s = net.createServer(); s.on('close', () => out.push('close-event'));
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const p = s[Symbol.asyncDispose](); out.push('after-dispose:listening=' + s.listening);
  await p; out.push('resolved');
  const s2 = net.createServer(); s2.on('close', () => out.push('never-listened:close-event!?'));
  await s2[Symbol.asyncDispose](); out.push('never-listened:resolved');
  // with a connection open: 'close' waits for it
  const s3 = net.createServer((c) => { out.push('connection'); c.on('close', () => out.push('conn-close')); s3[Symbol.asyncDispose](); out.push('disposed:listening=' + s3.listening); setTimeout(() => c.end(), 30); });
  s3.on('close', () => { out.push('s3-close'); setTimeout(() => { log(J(out)); done(); }, 10); });
  s3.listen(0, '127.0.0.1', () => { const c = net.connect(s3.address().port, '127.0.0.1'); c.resume(); });
});
add('5000 concurrent connections', (done) => {
  const N = 5000; const WINDOW = 500; const t0 = Date.now();
  let started = 0; let answered = 0; let closed = 0; let serverClosed = 0; let closedBeforeAll = 0; let bad = 0;
  const clients = [];
  const s = net.createServer((c) => {
    let buf = '';
    c.on('data', (d) => { buf += d; const i = buf.indexOf('\n'); if (i >= 0) c.write('pong:' + buf.slice(5, i) + '\n'); });
    c.on('close', () => { if (++serverClosed === N) s.getConnections((e, n) => { log('connections-after:', n); s.close(() => { log('bad:', bad, 'closedBeforeAll:', closedBeforeAll, 'ms:', Date.now() - t0); done(); }); }); });
  });
  s.listen(0, '127.0.0.1', () => {
    const port = s.address().port;
    const one = () => {
      const i = ++started; let buf = '';
      const c = net.connect(port, '127.0.0.1', () => c.write('ping:' + i + '\n'));
      clients.push(c);
      c.on('data', (d) => {
        buf += d; if (!buf.endsWith('\n')) return;
        if (buf !== 'pong:' + i + '\n') bad++;
        if (started < N) one();
        if (++answered === N) s.getConnections((e, n) => { log('connections-at-peak:', n); for (const k of clients) k.end(); });
      });
      c.on('close', () => { if (answered < N) closedBeforeAll++; closed++; });
    };
    for (let k = 0; k < WINDOW; k++) one();
  });
});
next();
