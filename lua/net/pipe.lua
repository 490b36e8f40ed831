-- sock:pipe(dest[, { end = false }]) and sock:unpipe([dest]), as Node's
-- Readable.pipe: data flows with backpressure both ways; the source's end
-- ends the destination (unless { end = false }); 'unpipe' reaches the
-- destination once it has finished, closed, or been unpiped.
local errors = require('net.errors')
local shared = require('net.sockstate')

local private = shared.private

local M = {}

local function callable(v)
  if type(v) == 'function' then return true end
  local mt = getmetatable(v)
  return type(mt) == 'table' and mt.__call ~= nil
end

local function unpipe_one(st, dest)
  local pipes = st.pipes
  local cleanup = pipes and pipes[dest]
  if cleanup == nil then return false end
  pipes[dest] = nil
  cleanup()
  return true
end

function M.install(Socket)
  function Socket:pipe(dest, opts)
    local ok_dest = (type(dest) == 'table' or type(dest) == 'userdata')
    if ok_dest then
      local ok, on, write = pcall(function() return dest.on, dest.write end)
      ok_dest = ok and callable(on) and callable(write)
    end
    if not ok_dest then
      errors.raise(errors.invalidArgType('destination', 'an instance of Writable', dest), 3)
    end
    local do_end = true
    if type(opts) == 'table' and (opts['end'] == false or opts.end_ == false) then do_end = false end
    local src, st = self, private(self)
    local pipes = st.pipes or {}
    st.pipes = pipes
    local cleaned = false
    local ondata, ondrain, onend, onfinish, onclose, onunpipe
    local function unpipe() src:unpipe(dest) end
    function ondata(chunk)
      if dest:write(chunk) == false then src:pause() end
    end
    function ondrain()
      if src.readableFlowing ~= true then src:resume() end
    end
    function onend()
      if do_end then dest:end_() else unpipe() end
    end
    function onfinish() unpipe() end
    function onclose() unpipe() end
    function onunpipe(from)
      if from == src then unpipe_one(st, dest) end
    end
    local function cleanup()
      if cleaned then return end
      cleaned = true
      src:removeListener('data', ondata)
      src:removeListener('end', onend)
      dest:removeListener('drain', ondrain)
      dest:removeListener('finish', onfinish)
      dest:removeListener('close', onclose)
      dest:removeListener('unpipe', onunpipe)
    end
    pipes[dest] = cleanup
    src:on('data', ondata)
    src:once('end', onend)
    dest:on('drain', ondrain)
    dest:once('finish', onfinish)
    dest:once('close', onclose)
    dest:on('unpipe', onunpipe)
    if dest.emit then dest:emit('pipe', src) end
    if dest.writableNeedDrain == true then
      src:pause()
    elseif src.readableFlowing ~= true then
      src:resume()
    end
    return dest
  end

  function Socket:unpipe(dest)
    local st = private(self)
    local pipes = st.pipes
    if pipes == nil or next(pipes) == nil then return self end
    local gone = {}
    for d in pairs(pipes) do
      if dest == nil or d == dest then gone[#gone + 1] = d end
    end
    for _, d in ipairs(gone) do unpipe_one(st, d) end
    if #gone > 0 and next(pipes) == nil then self:pause() end
    for _, d in ipairs(gone) do
      if d.emit then d:emit('unpipe', self) end
    end
    return self
  end
end

return M
