// Scenarios behind spec/socket_methods_spec.lua: run `node spec/node/socket_methods.js`.
'use strict';
const net = require('net');
const fs = require('fs');
const log = (...a) => console.log(...a);
const J = JSON.stringify;
const scenarios = [];
const add = (name, fn) => scenarios.push([name, fn]);
const next = () => { const s = scenarios.shift(); if (!s) return; log('==', s[0]); s[1](next); };
const serve = (onconn, fn, opts) => {
  const server = net.createServer(opts || {}, onconn);
  server.listen(0, '127.0.0.1', () => fn(server.address().port, server));
  return server;
};
const raises = (fn) => { try { fn(); return 'no throw'; } catch (e) { return J([e.code, e.name, e.message]); } };
const hex = (s) => Buffer.from(s, 'utf8').toString('hex');
const tmpPath = (tag) => `/tmp/net-spec-${process.pid}-${tag}.sock`;
// the kernel's view of an established TCP socket: [timer kind, ticks left]
// from /proc/net/tcp (timer 2: keepalive; ticks of 1/100 s)
const procTimer = (s) => {
  const hex = (n) => ':' + n.toString(16).toUpperCase().padStart(4, '0');
  const line = fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').find((l) => {
    const f = l.trim().split(/\s+/);
    return f[1]?.endsWith(hex(s.localPort)) && f[2]?.endsWith(hex(s.remotePort)) && f[3] === '01';
  });
  const [tr, when] = line.trim().split(/\s+/)[5].split(':');
  return [parseInt(tr, 16), parseInt(when, 16)];
};

// The same bytes for every encoding, sent in five writes 40 ms apart:
// a multi-byte character split across writes, and a cut one at the end.
const CHUNKS = ['e2', '82ac41', 'f09f', '9880', 'c3'];
add('setEncoding: data events per encoding (hex of their UTF-8), split characters never cut', (done) => {
  const encs = ['utf8', 'utf-8', 'latin1', 'binary', 'ascii', 'hex', 'base64', 'base64url', 'utf16le'];
  serve((c) => {
    c.setNoDelay(true);
    let i = 0;
    const send = () => { if (i < CHUNKS.length) { c.write(Buffer.from(CHUNKS[i++], 'hex')); setTimeout(send, 40); } else c.end(); };
    send();
  }, (port, server) => {
    const res = {};
    let n = 0;
    for (const enc of encs) {
      const s = net.connect(port, '127.0.0.1');
      const r = s.setEncoding(enc);
      const ev = [];
      s.on('data', (d) => ev.push(typeof d === 'string' ? hex(d) : 'buffer'));
      s.on('close', () => {
        res[enc] = `returns-self=${r === s}:` + ev.join(',');
        if (++n === encs.length) server.close(() => { for (const e of encs) log(e, res[e]); done(); });
      });
    }
  });
});
add('setEncoding(): utf8; an unknown encoding raises', (done) => {
  serve((c) => c.end(Buffer.from('c3a9', 'hex')), (port, server) => {
    const s = net.connect(port, '127.0.0.1');
    s.setEncoding();
    s.on('data', (d) => log('data', typeof d, hex(d)));
    log('bogus', raises(() => s.setEncoding('bogus')));
    s.on('close', () => server.close(done));
  });
});
add("setTimeout: 'timeout' once per idle period, the socket stays open and usable", (done) => {
  serve((c) => { c.on('data', (d) => c.end('got:' + d)); }, (port, server) => {
    const out = [];
    const s = net.connect(port, '127.0.0.1');
    const r = s.setTimeout(60);
    out.push('returns-self:' + (r === s));
    let n = 0;
    s.on('timeout', () => {
      n++;
      out.push(`timeout:${n}:destroyed=${s.destroyed}:${s.readyState}`);
      if (n === 1) setTimeout(() => { out.push('count-after-200ms:' + n); s.write('x'); }, 200);
    });
    s.on('data', (d) => out.push('data:' + d));
    s.on('close', (h) => { out.push('close:' + h); server.close(() => { log(J(out)); done(); }); });
  });
});
add('setTimeout: reads reset the idle timer', (done) => {
  serve((c) => {
    let i = 0;
    const iv = setInterval(() => { c.write('r'); if (++i === 6) { clearInterval(iv); } }, 30);
    c.on('end', () => c.end());
  }, (port, server) => {
    const out = [];
    const s = net.connect(port, '127.0.0.1');
    s.setTimeout(80);
    let reads = 0;
    s.on('data', (d) => { reads += d.length; });
    s.on('timeout', () => { out.push('timeout-after-all-reads:' + (reads === 6)); s.end(); });
    s.on('close', () => server.close(() => { log(J(out)); done(); }));
  });
});
add('setTimeout: writes reset the idle timer', (done) => {
  serve((c) => { c.resume(); c.on('end', () => c.end()); }, (port, server) => {
    const out = [];
    const s = net.connect(port, '127.0.0.1', () => {
      let i = 0;
      const iv = setInterval(() => { s.write('w'); if (++i === 6) clearInterval(iv); }, 30);
    });
    s.setTimeout(80);
    s.on('timeout', () => { out.push('timeout-after-all-writes:' + (s.bytesWritten === 6)); s.end(); });
    s.resume();
    s.on('close', () => server.close(() => { log(J(out)); done(); }));
  });
});
add('setTimeout(0) disables; setTimeout(ms, cb) adds a once listener, setTimeout(0, cb) removes it', (done) => {
  serve((c) => { c.resume(); c.on('end', () => c.end()); }, (port, server) => {
    const out = [];
    const s = net.connect(port, '127.0.0.1');
    const cb = () => out.push('cb');
    s.setTimeout(40, cb);
    out.push('listeners:' + s.listenerCount('timeout'));
    s.setTimeout(0, cb);
    out.push('listeners-after-0:' + s.listenerCount('timeout'));
    s.on('timeout', () => out.push('timeout'));
    setTimeout(() => {
      out.push('after-150ms');
      s.setTimeout(30, () => out.push('cb2'));
      s.once('timeout', () => { out.push('listeners-in-timeout:' + s.listenerCount('timeout')); s.end(); });
    }, 150);
    s.resume();
    s.on('close', () => server.close(() => { log(J(out)); done(); }));
  });
});
add('setTimeout: bad arguments', (done) => {
  const s = new net.Socket();
  log('string', raises(() => s.setTimeout('1')));
  log('negative', raises(() => s.setTimeout(-1)));
  log('NaN', raises(() => s.setTimeout(NaN)));
  log('callback', raises(() => s.setTimeout(10, 5)));
  done();
});
add('no timeout after destroy', (done) => {
  serve((c) => c.resume(), (port, server) => {
    const out = [];
    const s = net.connect(port, '127.0.0.1', () => s.destroy());
    s.setTimeout(30, () => out.push('timeout'));
    s.on('close', () => setTimeout(() => { out.push('quiet'); server.close(() => { log(J(out)); done(); }); }, 100));
  });
});
add('setNoDelay and setKeepAlive return the socket: before connect, connected, on a pipe, after destroy', (done) => {
  const path = tmpPath('nd');
  const pserver = net.createServer((c) => c.end());
  pserver.listen(path, () => serve((c) => c.end(), (port, server) => {
    const out = [];
    const s = new net.Socket();
    out.push('before:' + (s.setNoDelay() === s) + (s.setNoDelay(false) === s) + (s.setKeepAlive(true, 1000) === s) +
      (s.setKeepAlive() === s));
    s.connect(port, '127.0.0.1', () => {
      out.push('connected:' + (s.setNoDelay(true) === s) + (s.setKeepAlive(true, 2000) === s) + (s.setKeepAlive(false) === s));
      const p = net.connect(path, () => {
        out.push('pipe:' + (p.setNoDelay(true) === p) + (p.setKeepAlive(true, 1000) === p));
        p.destroy();
        out.push('destroyed:' + (p.setNoDelay(true) === p) + (p.setKeepAlive(true) === p));
      });
      p.on('close', () => server.close(() => pserver.close(() => { log(J(out)); done(); })));
    });
    s.resume();
  }));
});
add('setKeepAlive(true, ms): the kernel runs a keepalive timer of that length; false stops it', (done) => {
  serve((c) => c.resume(), (port, server) => {
    const out = [];
    const s = new net.Socket();
    s.setKeepAlive(true, 7000); // before connect: applied once connected
    s.connect(port, '127.0.0.1', () => {
      setTimeout(() => {
        const [tr, when] = procTimer(s);
        out.push(`before-connect-call:timer=${tr}:near-7s=${when > 600 && when <= 700}`);
        s.setKeepAlive(false);
        setTimeout(() => {
          out.push('off:timer=' + procTimer(s)[0]);
          s.setKeepAlive(true, 3000);
          setTimeout(() => {
            const [tr2, when2] = procTimer(s);
            out.push(`on-again:timer=${tr2}:near-3s=${when2 > 200 && when2 <= 300}`);
            s.destroy();
          }, 20);
        }, 20);
      }, 20);
    });
    s.on('close', () => server.close(() => { log(J(out)); done(); }));
  });
});
add('ref/unref return the socket; an unref-ed connection lets the loop end; ref keeps it going', (done) => {
  // (run in a child so that the exit can be observed)
  const { execFileSync } = require('child_process');
  const child = `
    const net = require('net');
    const server = net.createServer((c) => { c.unref(); });
    server.listen(0, '127.0.0.1', () => {
      const s = new net.Socket();
      const r1 = s.unref();          // before connect: deferred to connect
      s.connect(server.address().port, '127.0.0.1', () => { console.log('connected'); server.unref(); });
      const r2 = s.ref(); const r3 = s.unref();
      console.log('returns-self', r1 === s, r2 === s, r3 === s);
      process.on('exit', () => console.log('exit with destroyed=' + s.destroyed));
    });`;
  log(execFileSync(process.execPath, ['-e', child], { timeout: 5000 }).toString().trim().split('\n').join(' | '));
  const child2 = `
    const net = require('net');
    const server = net.createServer((c) => {});
    server.listen(0, '127.0.0.1', () => {
      const s = net.connect(server.address().port, '127.0.0.1', () => {
        server.unref(); s.unref(); s.ref();
        setTimeout(() => { console.log('still running, destroying'); s.destroy(); }, 100).unref();
      });
      s.on('close', () => console.log('close'));
    });
    server.on('connection', (c) => { c.unref(); });`;
  log(execFileSync(process.execPath, ['-e', child2], { timeout: 5000 }).toString().trim().split('\n').join(' | '));
  done();
});
add('cork/uncork: writes wait, writableLength grows, the peer gets them together', (done) => {
  serve((c) => {
    const got = [];
    c.on('data', (d) => got.push(String(d)));
    c.on('end', () => { c.end(J(got)); });
  }, (port, server) => {
    const out = [];
    const s = net.connect(port, '127.0.0.1', () => {
      out.push('cork:' + s.cork());
      s.cork();
      out.push('corked:' + s.writableCorked);
      out.push('w:' + s.write('a') + s.write('b'));
      out.push('len:' + s.writableLength);
      s.uncork();
      out.push('after-one-uncork:' + s.writableCorked + ':len=' + s.writableLength);
      setTimeout(() => {
        out.push('still-held:' + s.writableLength);
        out.push('uncork:' + s.uncork());
        out.push('corked:' + s.writableCorked);
        setTimeout(() => {
          s.cork(); s.write('c'); s.write('d');
          s.end('e'); // end uncorks
          out.push('end-uncorks:' + s.writableCorked);
        }, 30);
      }, 30);
    });
    s.on('data', (d) => out.push('server-got:' + d));
    s.on('close', () => server.close(() => { log(J(out)); done(); }));
  });
});
add('destroySoon: all written data arrives, then close; after finish it destroys at once', (done) => {
  const out = [];
  const big = 'x'.repeat(1 << 20);
  serve((c) => {
    if (serve.seen) return;
    serve.seen = true;
    let n = 0;
    c.on('data', (d) => { n += d.length; });
    c.on('end', () => { c.end(); out.push('server-got:' + n); });
  }, (port, server) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.write(big);
      const r = s.destroySoon();
      out.push(`returns:${r}:writableEnded=${s.writableEnded}:destroyed=${s.destroyed}`);
    });
    s.on('finish', () => out.push('finish:destroyed=' + s.destroyed));
    s.on('end', () => out.push('end'));
    s.on('close', (h) => {
      out.push('close:' + h);
      server.once('connection', (c) => c.on('end', () => c.end()));
      const t = net.connect(port, '127.0.0.1', () => t.end());
      t.on('finish', () => { setImmediate(() => { t.destroySoon(); out.push('after-finish:destroyed=' + t.destroyed); }); });
      t.resume();
      t.on('close', (h2) => { out.push('t-close:' + h2); server.close(() => { log(J(out)); done(); }); });
    });
  });
});
add('resetAndDestroy: the peer gets ECONNRESET (read); this side closes without error', (done) => {
  const out = [];
  let n = 0;
  const fin = () => { if (++n === 2) srv.close(() => { log(J(out)); done(); }); };
  const srv = serve((c) => {
    c.on('error', (e) => out.push(`peer-error:${e.code}:${e.syscall}:${e.errno}:${e.message}`));
    c.on('close', (h) => { out.push('peer-close:' + h); fin(); });
  }, (port) => {
    const s = net.connect(port, '127.0.0.1', () => {
      const r = s.resetAndDestroy();
      out.push(`returns-self:${r === s}:destroyed=${s.destroyed}`);
    });
    s.on('error', (e) => out.push('error:' + e.code));
    s.on('close', (h) => { out.push('close:' + h); fin(); });
  });
});
add('resetAndDestroy while connecting: RST once connected', (done) => {
  const out = [];
  let n = 0;
  const fin = () => { if (++n === 2) srv.close(() => { log(J(out.sort())); done(); }); };
  const srv = serve((c) => {
    c.on('error', (e) => out.push('peer-error:' + e.code));
    c.on('close', (h) => { out.push('peer-close:' + h); fin(); });
  }, (port) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => out.push('connect'));
    const r = s.resetAndDestroy();
    out.push(`returns-self:${r === s}:connecting=${s.connecting}`);
    s.on('error', (e) => out.push('error:' + e.code));
    s.on('close', (h) => { out.push('close:' + h); fin(); });
  });
});
add('resetAndDestroy on a socket never connected: destroy with ERR_SOCKET_CLOSED', (done) => {
  const out = [];
  const s = new net.Socket();
  const r = s.resetAndDestroy();
  out.push('returns-self:' + (r === s));
  s.on('error', (e) => out.push(`error:${e.code}:${e.name}:${e.message}`));
  s.on('close', (h) => { out.push('close:' + h); log(J(out)); done(); });
});
add('resetAndDestroy on a pipe: throws ERR_INVALID_HANDLE_TYPE', (done) => {
  const path = tmpPath('rst');
  const server = net.createServer((c) => c.resume());
  server.listen(path, () => {
    const s = net.connect(path, () => {
      log(raises(() => s.resetAndDestroy()), 'destroyed=' + s.destroyed);
      s.destroy();
    });
    s.on('close', () => server.close(done));
  });
});
add("unpipe(dest): 'unpipe' on dest, the source stops flowing; unpipe() with no pipes returns the source", (done) => {
  const out = [];
  let feeder;
  serve((c) => { feeder = c; }, (feedPort, feedServer) => serve((c) => {
    c.on('data', (d) => out.push('sink-got:' + d));
    c.on('end', () => c.end());
  }, (sinkPort, sinkServer) => {
    const src = net.connect(feedPort, '127.0.0.1');
    const dst = net.connect(sinkPort, '127.0.0.1');
    let up = 0;
    const go = () => {
      if (++up < 2) return;
      dst.on('pipe', (s) => out.push('pipe-event:' + (s === src)));
      dst.on('unpipe', (s) => out.push('unpipe-event:' + (s === src)));
      out.push('pipe-returns-dest:' + (src.pipe(dst) === dst));
      feeder.write('one');
      setTimeout(() => {
        out.push('unpipe-returns-src:' + (src.unpipe(dst) === src));
        out.push(`after-unpipe:isPaused=${src.isPaused()}:flowing=${src.readableFlowing}`);
        feeder.write('two');
        setTimeout(() => {
          out.push('buffered-in-src:' + src.readableLength);
          out.push('unpipe-none-returns-src:' + (src.unpipe() === src));
          src.destroy(); feeder.destroy(); dst.end();
        }, 50);
      }, 50);
    };
    src.on('connect', () => setTimeout(go, 20)); dst.on('connect', go);
    dst.on('close', () => sinkServer.close(() => feedServer.close(() => { log(J(out)); done(); })));
  }));
});
add("pipe(dest, {end: false}): dest stays writable after the source ends", (done) => {
  const out = [];
  serve((c) => c.end('from-src'), (srcPort, srcServer) => {
    serve((c) => {
      let got = '';
      c.on('data', (d) => { got += d; });
      c.on('end', () => { out.push('sink-got:' + got); c.end(); });
    }, (sinkPort, sinkServer) => {
      const dst = net.connect(sinkPort, '127.0.0.1', () => {
        const src = net.connect(srcPort, '127.0.0.1');
        src.pipe(dst, { end: false });
        src.on('end', () => setImmediate(() => {
          out.push(`src-ended:dst.writableEnded=${dst.writableEnded}`);
          dst.end(':more');
        }));
      });
      dst.resume();
      dst.on('close', () => sinkServer.close(() => srcServer.close(() => { log(J(out)); done(); })));
    });
  });
});
// Lua's `<close>` destroys at scope end; the Node equivalent is destroy()
// right away (also what Symbol.asyncDispose-free code does by hand)
add('<close> equivalents: destroy() a fresh socket, and one right after connect()', (done) => {
  const out = [];
  const s = new net.Socket();
  s.on('close', (...a) => out.push('fresh-close:' + a.length));
  s.destroy();
  out.push('fresh-destroyed:' + s.destroyed);
  serve((c) => c.on('error', (e) => out.push('peer-error:' + e.code)), (port, server) => {
    const t = net.connect(port, '127.0.0.1');
    t.on('connect', () => out.push('connect'));
    t.on('close', (...a) => { out.push('close:' + J(a)); setTimeout(() => server.close(() => { log(J(out)); done(); }), 50); });
    t.destroy();
    out.push('destroyed:' + t.destroyed);
  });
});
next();
