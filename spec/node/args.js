// The scenarios behind spec/args_spec.lua (node v20).
const net = require('net');
const s = new net.Socket();
s.setKeepAlive(null, {}); s.setKeepAlive('', -1, null, 0.5); s.setKeepAlive(true, '5000'); s.setKeepAlive(true, NaN);
console.log('setKeepAlive: no throw');
s.setTimeout(2 ** 63);
console.log('timeout', s.timeout); // 9223372036854776000 (timer truncated to 2147483647)
try { net.connect({ port: 1, host: '127.0.0.1', keepAlive: true, keepAliveInitialDelay: 'x' }); }
catch (e) { console.log('connect', e.code); } // ERR_INVALID_ARG_TYPE
const srv = net.createServer();
srv.listen(undefined, () => { console.log('random port', srv.address().port > 0); srv.close(); });
