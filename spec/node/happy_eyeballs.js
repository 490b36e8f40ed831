// Scenarios behind the Happy Eyeballs spec (autoSelectFamily): run
// `node spec/node/happy_eyeballs.js`. Loopback only: dual stack comes from a
// custom `lookup`; a blackholed address is a listener with a full accept
// queue (./blackhole.js). Ports are printed as PORT, times as buckets.
'use strict';
const net = require('net');
const dns = require('dns');
const blackhole = require('./blackhole.js');
const log = (...a) => console.log(...a);
const J = JSON.stringify;
const scenarios = [];
const add = (name, fn) => scenarios.push([name, fn]);
const next = () => { const s = scenarios.shift(); if (!s) return; log('==', s[0]); s[1](next); };
let PORT = 0;
const P = (v) => (typeof v === 'string' ? v.split(String(PORT)).join('PORT') : v === PORT ? 'PORT' : v);
const errInfo = (e) => e && ({ name: e.name, code: e.code, errno: e.errno, syscall: e.syscall, address: e.address,
  port: P(e.port), message: P(e.message) });
const raises = (fn) => { try { fn(); return 'no throw'; } catch (e) { return J([e.code, e.name, e.message]); } };
// a port nobody listens on (on any loopback address)
const freePort = (fn) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => fn(p)); }); };
const fixed = (list) => (host, opts, cb) => setImmediate(cb, null, list);

// Connects with every event logged; fin(out, sock) when 'close' comes.
function watch(opts, out, fin) {
  const t0 = Date.now();
  const ms = () => Date.now() - t0;
  const s = net.connect(opts);
  s.on('lookup', (err, ip, fam, host) => out.push(['lookup', err && err.code, ip, fam, host]));
  s.on('connectionAttempt', (ip, port, fam) => out.push(['attempt', ip, P(port), fam]));
  s.on('connectionAttemptFailed', (ip, port, fam, e) =>
    out.push(['attemptFailed', ip, P(port), fam, e.code, e.syscall, e.address, P(e.port)]));
  s.on('connectionAttemptTimeout', (ip, port, fam) =>
    out.push(['attemptTimeout', ip, P(port), fam, `after>=${opts.autoSelectFamilyAttemptTimeout || 250}:` +
      (ms() >= (opts.autoSelectFamilyAttemptTimeout || 250) - 2)]));
  s.on('connect', () => { out.push(['connect', s.remoteAddress, s.remoteFamily, s.connecting]); s.end(); });
  s.on('ready', () => out.push(['ready']));
  s.on('timeout', () => out.push(['timeout', s.connecting]));
  s.on('error', (e) => out.push(['error', errInfo(e)]));
  s.resume();
  s.on('close', (h) => { out.push(['close', h]); fin(out, s); });
  return s;
}
const show = (out) => out.forEach((e) => log('  ' + J(e.map(P))));

add('dual stack, ::1 refused: ::1 first, its failure, then 127.0.0.1 connects', (done) => {
  const server = net.createServer((c) => c.end()).listen(0, '127.0.0.1', () => {
    PORT = server.address().port;
    watch({ host: 'dual.invalid', port: PORT,
      lookup: fixed([{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }]) }, [], (out, s) => {
      show(out);
      log('  attempted: ' + J(s.autoSelectFamilyAttemptedAddresses.map(P)));
      server.close(done);
    });
  });
});

add('dual stack, both refused: AggregateError after both failures, then close(true)', (done) => {
  freePort((port) => {
    PORT = port;
    const out = [];
    let got;
    const s = watch({ host: 'dual.invalid', port,
      lookup: fixed([{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }]) }, out, (out2) => {
      show(out2);
      log('  attempted: ' + J(s.autoSelectFamilyAttemptedAddresses.map(P)));
      log('  aggregate: ' + J({ name: got.name, message: got.message, code: got.code, errno: got.errno,
        syscall: got.syscall, address: got.address, port: got.port, isAggregateError: got instanceof AggregateError,
        toString: String(got), keys: Object.keys(got), nerrors: got.errors.length }));
      got.errors.forEach((e, i) => log(`  errors[${i}]: ` + J(errInfo(e)) + ' instanceof Error: ' + (e instanceof Error)));
      log('  destroyed/errored same: ' + (s.errored === got));
      done();
    });
    s.on('error', (e) => { got = e; });
  });
});

add('order: families alternate, starting with the family of the first answer; duplicates and invalid entries dropped', (done) => {
  freePort((port) => {
    PORT = port;
    const list = [
      { address: '::1', family: 6 }, { address: '::ffff:127.0.0.2', family: 6 },
      { address: '127.0.0.2', family: 4 }, { address: '127.0.0.3', family: 4 }, { address: '127.0.0.4', family: 4 },
      { address: '::1', family: 6 }, { address: 'bogus', family: 4 }, { address: '127.0.0.5', family: 5 },
      { address: '127.0.0.6', family: 6 },
    ];
    const s = watch({ host: 'many.invalid', port, lookup: fixed(list) }, [], (out) => {
      show(out);
      log('  attempted: ' + J(s.autoSelectFamilyAttemptedAddresses.map(P)));
      done();
    });
  });
});

add('order: an IPv4 first answer puts IPv4 first', (done) => {
  freePort((port) => {
    PORT = port;
    const list = [{ address: '127.0.0.2', family: 4 }, { address: '::1', family: 6 }, { address: '127.0.0.3', family: 4 }];
    const s = watch({ host: 'v4first.invalid', port, lookup: fixed(list) }, [], (out) => {
      log('  attempted: ' + J(s.autoSelectFamilyAttemptedAddresses.map(P)));
      log('  aggregate: ' + J(s.errored.errors.map((e) => e.address)));
      done();
    });
  });
});

add('one address left after filtering: the single-address path (no autoSelectFamilyAttemptedAddresses)', (done) => {
  freePort((port) => {
    PORT = port;
    const list = [{ address: '127.0.0.1', family: 4 }, { address: '127.0.0.1', family: 4 }, { address: 'x', family: 4 }];
    const s = watch({ host: 'one.invalid', port, lookup: fixed(list) }, [], (out) => {
      show(out);
      log('  attempted: ' + J(s.autoSelectFamilyAttemptedAddresses));
      done();
    });
  });
});

add('an IP host: connectionAttempt too, no lookup, no autoSelectFamilyAttemptedAddresses; a refusal is a plain Error', (done) => {
  freePort((port) => {
    PORT = port;
    const s = watch({ host: '127.0.0.1', port }, [], (out) => {
      show(out);
      log('  attempted: ' + J(s.autoSelectFamilyAttemptedAddresses));
      done();
    });
  });
});

add('attempt timeout: a blackholed first address times out after autoSelectFamilyAttemptTimeout, the next connects', (done) => {
  blackhole(['127.0.0.2'], (port, stop) => {
    PORT = port;
    const server = net.createServer((c) => c.end()).listen(port, '127.0.0.1', () => {
      const s = watch({ host: 'slow.invalid', port, autoSelectFamilyAttemptTimeout: 100,
        lookup: fixed([{ address: '127.0.0.2', family: 4 }, { address: '127.0.0.1', family: 4 }]) }, [], (out) => {
        show(out);
        log('  attempted: ' + J(s.autoSelectFamilyAttemptedAddresses.map(P)));
        stop();
        server.close(done);
      });
    });
  });
});

add('attempt timeout, then refused: AggregateError [ETIMEDOUT, ECONNREFUSED], code ETIMEDOUT', (done) => {
  blackhole(['127.0.0.2'], (port, stop) => {
    PORT = port;
    const s = watch({ host: 'slow.invalid', port, autoSelectFamilyAttemptTimeout: 100,
      lookup: fixed([{ address: '127.0.0.2', family: 4 }, { address: '127.0.0.1', family: 4 }]) }, [], (out) => {
      show(out);
      const e = s.errored;
      log('  aggregate: ' + J({ name: e.name, code: e.code, message: e.message }));
      e.errors.forEach((x, i) => log(`  errors[${i}]: ` + J(errInfo(x))));
      stop();
      done();
    });
  });
});

add('attempt timeout below 10 is 10 (option 1)', (done) => {
  blackhole(['127.0.0.2'], (port, stop) => {
    PORT = port;
    const t0 = process.hrtime.bigint();
    const out = [];
    const s = net.connect({ host: 'slow.invalid', port, autoSelectFamilyAttemptTimeout: 1,
      lookup: fixed([{ address: '127.0.0.2', family: 4 }, { address: '127.0.0.1', family: 4 }]) });
    s.on('connectionAttemptTimeout', () => out.push('attemptTimeout:after>=10ms:' + ((process.hrtime.bigint() - t0) >= 10000000n)));
    s.on('error', (e) => out.push('error:' + e.code));
    s.on('close', () => { log('  ' + J(out)); stop(); done(); });
  });
});

add('destroy() inside connectionAttemptFailed: no further attempt, close(false)', (done) => {
  freePort((port) => {
    PORT = port;
    const out = [];
    const s = watch({ host: 'dual.invalid', port,
      lookup: fixed([{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }]) }, out, (o) => {
      show(o);
      done();
    });
    s.once('connectionAttemptFailed', () => s.destroy());
  });
});

add('destroy() while an attempt is in flight: multi-address path emits connectionAttemptFailed(ECANCELED) before close; single path nothing', (done) => {
  blackhole(['127.0.0.2'], (port, stop) => {
    PORT = port;
    const one = (list, fin) => {
      const out = [];
      const s = net.connect({ host: 'x.invalid', port, autoSelectFamilyAttemptTimeout: 200, lookup: fixed(list) });
      for (const ev of ['connectionAttempt', 'connectionAttemptFailed', 'connectionAttemptTimeout', 'error', 'close']) {
        s.on(ev, (...a) => out.push([ev, ...a.map((x) => (x instanceof Error ? x.code : P(x)))]));
      }
      s.once('connectionAttempt', () => setTimeout(() => { out.push(['destroy']); s.destroy(); }, 50));
      // the attempt timer would have fired at 200 ms: wait past it
      s.on('close', () => setTimeout(() => { show(out); fin(); }, 300));
    };
    one([{ address: '127.0.0.2', family: 4 }, { address: '127.0.0.1', family: 4 }],
      () => one([{ address: '127.0.0.2', family: 4 }], () => { stop(); done(); }));
  });
});

add('a Unix socket path: connectionAttempt(path) inside connect(), connectionAttemptFailed(path, undefined, undefined, err)', (done) => {
  const out = [];
  const s = new net.Socket();
  for (const ev of ['connectionAttempt', 'connectionAttemptFailed', 'error', 'close']) {
    s.on(ev, (...a) => out.push([ev, ...a.map((x) => (x instanceof Error ? x.code : x === undefined ? 'undefined' : x))]));
  }
  s.connect('/tmp/net-spec-missing.sock');
  out.push(['connect-returned']);
  s.on('close', () => { show(out); done(); });
});

// --- what a custom lookup receives ---------------------------------------
const optsCase = (title, extra, answer) => add('lookup options: ' + title, (done) => {
  freePort((port) => {
    PORT = port;
    const out = [];
    const s = net.connect({ host: 'opts.invalid', port, ...extra, lookup: (host, o, cb) => {
      out.push('called:' + host + ':' + J(Object.entries(o).map(([k, v]) => `${k}=${v === undefined ? 'undefined' : v}`)));
      (answer || ((c) => c(Object.assign(new Error('stop'), { code: 'ESTOP' }))))(cb);
    } });
    s.on('lookup', (err, ip, fam) => out.push('lookup:' + J([err && err.code, typeof ip === 'object' ? 'object' : ip, fam])));
    s.on('error', (e) => out.push('error:' + J([e.code, e.name, P(e.message)])));
    s.on('close', () => { log('  ' + J(out)); done(); });
  });
});
optsCase('default', {});
optsCase('autoSelectFamily: true', { autoSelectFamily: true });
optsCase('autoSelectFamily: false', { autoSelectFamily: false });
optsCase('family: 4', { family: 4 });
optsCase('family: 6', { family: 6 });
optsCase('family: 0', { family: 0 });
optsCase('family: 4, autoSelectFamily: true', { family: 4, autoSelectFamily: true });
optsCase('localAddress', { localAddress: '127.0.0.1' });
optsCase('localAddress, autoSelectFamily: true', { localAddress: '127.0.0.1', autoSelectFamily: true });
optsCase('hints: V4MAPPED', { hints: dns.V4MAPPED });
optsCase('hints: 0', { hints: 0 });
optsCase('family: 6, hints: ADDRCONFIG|V4MAPPED', { family: 6, hints: dns.ADDRCONFIG | dns.V4MAPPED });
optsCase('family: 6, hints: V4MAPPED, autoSelectFamily: false', { family: 6, hints: dns.V4MAPPED, autoSelectFamily: false });
add('lookup options: setDefaultAutoSelectFamily(false), no option', (done) => {
  net.setDefaultAutoSelectFamily(false);
  scenarios.unshift(['(restore)', (d) => { net.setDefaultAutoSelectFamily(true); d(); }]);
  optsCaseNow({}, done);
});
function optsCaseNow(extra, done) {
  const out = [];
  const s = net.connect({ host: 'opts.invalid', port: 1, ...extra, lookup: (host, o, cb) => {
    out.push('called:' + J(Object.entries(o).map(([k, v]) => `${k}=${v === undefined ? 'undefined' : v}`)));
    cb(Object.assign(new Error('stop'), { code: 'ESTOP' }));
  } });
  s.on('error', () => {});
  s.on('close', () => { log('  ' + J(out)); done(); });
}
optsCase('all=false (autoSelectFamily false) but the answer is a list', { autoSelectFamily: false },
  (cb) => cb(null, [{ address: '127.0.0.1', family: 4 }]));
optsCase('all=true but the answer is (address, family)', {},
  (cb) => cb(null, '127.0.0.1', 4));
optsCase('all=true, an answer of one entry with an invalid family', {},
  (cb) => cb(null, [{ address: '127.0.0.1', family: 5 }]));
optsCase('all=true, an answer of one invalid IP', {},
  (cb) => cb(null, [{ address: 'nope', family: 4 }]));

// --- validation -----------------------------------------------------------
add('setDefaultAutoSelectFamily(v) / setDefaultAutoSelectFamilyAttemptTimeout(v)', (done) => {
  log('  defaults: ' + J([net.getDefaultAutoSelectFamily(), net.getDefaultAutoSelectFamilyAttemptTimeout()]));
  for (const v of [1, 'true', null, undefined, {}, 0]) {
    log(`  setDefaultAutoSelectFamily(${v === undefined ? 'undefined' : J(v)}): ` +
      raises(() => net.setDefaultAutoSelectFamily(v)) + ' now ' + net.getDefaultAutoSelectFamily());
  }
  net.setDefaultAutoSelectFamily(false);
  log('  set false: ' + net.getDefaultAutoSelectFamily());
  net.setDefaultAutoSelectFamily(true);
  const vals = [[0, '0'], [-1, '-1'], [0.5, '0.5'], [NaN, 'NaN'], [Infinity, 'Infinity'], [2 ** 31, '2**31'],
    ['100', "'100'"], [null, 'null'], [undefined, 'undefined'], [true, 'true'], [100.5, '100.5'],
    [1, '1'], [9, '9'], [10, '10'], [11, '11'], [2 ** 31 - 1, '2**31-1'], [250, '250']];
  for (const [v, name] of vals) {
    log(`  setDefaultAutoSelectFamilyAttemptTimeout(${name}): ` +
      raises(() => net.setDefaultAutoSelectFamilyAttemptTimeout(v)) + ' now ' + net.getDefaultAutoSelectFamilyAttemptTimeout());
  }
  done();
});
add('connect options autoSelectFamily / autoSelectFamilyAttemptTimeout (thrown from connect, also for an IP host)', (done) => {
  const cases = [
    ['autoSelectFamily: 1', { autoSelectFamily: 1 }], ["autoSelectFamily: 'yes'", { autoSelectFamily: 'yes' }],
    ['autoSelectFamily: null', { autoSelectFamily: null }], ['autoSelectFamily: 0', { autoSelectFamily: 0 }],
    ['autoSelectFamilyAttemptTimeout: 0', { autoSelectFamilyAttemptTimeout: 0 }],
    ['autoSelectFamilyAttemptTimeout: -5', { autoSelectFamilyAttemptTimeout: -5 }],
    ['autoSelectFamilyAttemptTimeout: 0.5', { autoSelectFamilyAttemptTimeout: 0.5 }],
    ["autoSelectFamilyAttemptTimeout: '10'", { autoSelectFamilyAttemptTimeout: '10' }],
    ['autoSelectFamilyAttemptTimeout: NaN', { autoSelectFamilyAttemptTimeout: NaN }],
    ['autoSelectFamilyAttemptTimeout: 2**31', { autoSelectFamilyAttemptTimeout: 2 ** 31 }],
    ['autoSelectFamilyAttemptTimeout: null', { autoSelectFamilyAttemptTimeout: null }],
    ['autoSelectFamilyAttemptTimeout: 5', { autoSelectFamilyAttemptTimeout: 5 }],
  ];
  let pending = 0;
  for (const [name, o] of cases) {
    for (const host of ['127.0.0.1', 'x.invalid']) {
      let s;
      const r = raises(() => {
        s = net.connect({ port: 1, host, ...o, lookup: (h, op, cb) => cb(new Error('stop')) });
      });
      log(`  ${name} host ${host}: ${r}`);
      if (s) { pending++; s.on('error', () => {}); s.destroy(); s.on('close', () => { if (--pending === 0) done(); }); }
    }
  }
  if (pending === 0) done();
});

next();
