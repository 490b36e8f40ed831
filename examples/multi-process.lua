-- N worker processes share one port through SO_REUSEPORT; the kernel
-- spreads connections across them, so a server uses every core.
--   lua5.4 examples/multi-process.lua [workers=2] [connections=40]
-- Starts the workers, connects `connections` times, prints which worker
-- answered each, stops the workers and exits 0 if more than one answered.
local net = require('net')
local timers = require('net.timers')

local workers = tonumber(arg[1]) or 2
local connections = tonumber(arg[2]) or 40
local lua = arg[-1] or 'lua5.4'
local here = arg[0]:match('^(.*)/[^/]*$') or '.'

-- a free port: bind port 0, note the port, close
local probe = net.createServer()
probe:listen(0, '127.0.0.1', function()
  local port = probe:address().port
  probe:close(function()
    local procs = {}
    for i = 1, workers do
      local cmd = string.format('exec %s %s/reuseport-worker.lua %d %d', lua, here, port, i)
      procs[i] = io.popen(cmd, 'r')
      print(procs[i]:read('l')) -- "worker i listening on PORT"
    end
    local answered, done = {}, 0
    for _ = 1, connections do
      local sock = net.connect(port, '127.0.0.1')
      local reply = {}
      sock:on('data', function(d) reply[#reply + 1] = d end)
      sock:on('close', function()
        local who = table.concat(reply):match('worker (%d+)') or '?'
        answered[who] = (answered[who] or 0) + 1
        done = done + 1
        if done == connections then
          local ids = {}
          for w, n in pairs(answered) do ids[#ids + 1] = string.format('worker %s: %d', w, n) end
          table.sort(ids)
          print('connections answered by ' .. table.concat(ids, ', '))
          os.execute(string.format("pkill -f 'reuseport-worker.lua %d ' ", port))
          for _, p in ipairs(procs) do p:close() end
          local spread = #ids > 1
          print(spread and 'spread across workers: yes' or 'spread across workers: NO')
          os.exit(spread and 0 or 1)
        end
      end)
    end
  end)
end)

timers.setTimeout(function() print('timed out'); os.exit(1) end, 15000):unref()
net.run()
