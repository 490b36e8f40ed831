// The scenarios behind the second part of spec/args_spec.lua (node v20).
const net = require('net');
const s = net.connect({host:'x.invalid', port:9, autoSelectFamily:false, lookup:(h,o,cb)=>setImmediate(cb,null,'127.0.0.6',6)});
for (const e of ['lookup','connectionAttempt','connectionAttemptFailed','close']) s.on(e, (...a)=>console.log(e, a.map(x=>x&&x.code?x.code:x)));
s.on('error', e=>console.log('error', e.code));
const srv = net.createServer(c=>{ c.setTimeout(0.5, ()=>{ console.log('timeout fired'); c.destroy(); srv.close(); }); });
srv.listen(0, '127.0.0.1', ()=>{ const k = net.connect(srv.address().port, '127.0.0.1'); k.on('close', ()=>{}); });
