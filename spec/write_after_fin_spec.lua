-- A write after the peer ended the connection (allowHalfOpen false), from
-- node v20 (spec/node/write_after_fin.js with-error-listener): the write's
-- callback and an 'error' event get EPIPE, then close(true).
local net = require('net')
local H = require('spec.helper')

describe('write after the peer ended', function()
  it("EPIPE to the callback, then 'error' EPIPE and close(true), as Node's writeAfterFIN", function()
    local log = H.log()
    local server
    server = net.createServer(function(sock)
      sock:on('error', function(e) log('error:' .. e.code .. ':' .. e.message) end)
      sock:on('end', function() log('end:writable=' .. tostring(sock.writable)) end)
      sock:on('finish', function()
        log('finish:writable=' .. tostring(sock.writable) .. ':destroyed=' .. tostring(sock.destroyed))
        log('write=' .. tostring(sock:write('broadcast\n', function(err) log('cb:' .. tostring(err and err.code)) end)))
      end)
      sock:on('close', function(h)
        log('close:' .. tostring(h) .. ':errored=' .. tostring(sock.errored and sock.errored.code))
        server:close()
      end)
    end)
    H.listen(server, function(port)
      local c = net.connect(port, '127.0.0.1')
      c:on('connect', function() c:end_() end)
    end)
    H.run(3000)
    assert.same({
      'end:writable=true', 'finish:writable=false:destroyed=false', 'write=false', 'cb:EPIPE',
      'error:EPIPE:This socket has been ended by the other party', 'close:true:errored=EPIPE',
    }, log.events)
  end)
end)
