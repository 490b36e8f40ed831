-- The public surface, as the running module has it, against the reference
-- (docs/reference/*.md) and the LuaLS definitions (types/net/*.lua).
--
-- Members are listed at run time: the module tables, the C classes'
-- method/getter/setter tables (core.classes), the fields live objects
-- carry, and the metatables of the objects the functions return. A name
-- starting with '_' is internal. A member counts as documented when a
-- heading of a reference page names it with its prefix (`socket:write(`,
-- `socket.bytesRead`, `net.connect`, ...), and as typed when the class of
-- that name in types/ (or a parent class) defines it.
local net = require('net')
local core = require('net.core')
local lfs = require('lfs')
local H = require('spec.helper')
local luals = require('tools.luals_types')

local function files_in(dir, ext)
  local out = {}
  for name in lfs.dir(dir) do
    if name:sub(-#ext) == ext then out[#out + 1] = dir .. '/' .. name end
  end
  table.sort(out)
  return out
end

local function slurp(path)
  local f = assert(io.open(path, 'rb'))
  local s = f:read('a')
  f:close()
  return s
end

-- --- the reference -----------------------------------------------------------

local REF_FILES = files_in('docs/reference', '.md')
local headings, ref_text = {}, {}
for _, path in ipairs(REF_FILES) do
  local text = slurp(path)
  ref_text[#ref_text + 1] = text
  for line in text:gmatch('[^\n]+') do
    if line:match('^#+%s') then headings[#headings + 1] = line end
  end
end
ref_text = table.concat(ref_text, '\n')

local LUA_KEYWORDS = { ['end'] = true }

-- Is `prefix.name` or `prefix:name` in a heading (followed by something that
-- cannot continue a name)? A keyword such as `end` is written
-- `prefix['end']`, in a heading or in backticks.
local function documented(prefixes, name)
  for _, prefix in ipairs(prefixes) do
    if LUA_KEYWORDS[name] then
      if ref_text:find('`' .. prefix .. "['" .. name .. "']", 1, true) then return true end
    else
      for _, line in ipairs(headings) do
        for _, sep in ipairs({ '.', ':' }) do
          local needle = '`' .. prefix .. sep .. name
          local at = line:find(needle, 1, true)
          while at do
            local next_char = line:sub(at + #needle, at + #needle)
            if not next_char:match('[%w_]') then return true end
            at = line:find(needle, at + 1, true)
          end
        end
      end
    end
  end
  return false
end

-- --- the type definitions -----------------------------------------------------

local TYPE_FILES = files_in('types/net', '.lua')
local model, type_problems = luals.read(TYPE_FILES)

local function typed(class, name)
  return luals.members(model, class)[name] == true
end

-- --- the running surface --------------------------------------------------------

-- groups[i] = { what = 'Socket', prefixes = {...}, class = 'net.Socket', names = set }
local groups = {}
local function group(what, prefixes, class)
  local g = { what = what, prefixes = prefixes, class = class, names = {} }
  groups[#groups + 1] = g
  return g
end

local function public(name)
  return type(name) == 'string' and name:sub(1, 1) ~= '_'
end

local function add_keys(g, t)
  if type(t) ~= 'table' then return end
  for k in pairs(t) do
    if public(k) then g.names[k] = true end
  end
end

-- a C class (core.classes.X): its methods, getters and setters
local function add_class(g, class)
  add_keys(g, class.methods)
  add_keys(g, class.getters)
  add_keys(g, class.setters)
end

-- the fields a live userdata object carries: every documented field of a
-- Socket or Server is a getter of its class (listed by add_class); what a
-- live object holds itself is only what its user (or the emitter) put
-- there, so there is nothing more to list for those
local function add_fields(g, obj)
  if type(obj) ~= 'userdata' then add_keys(g, obj) end
end

local function collect()
  -- the module
  add_keys(group('net', { 'net' }, 'net'), net)

  -- Socket and Server: the class tables, and the fields of live objects:
  -- a client socket, the accepted socket, a server, each after use
  local socket_g = group('Socket', { 'socket' }, 'net.Socket')
  local server_g = group('Server', { 'server' }, 'net.Server')
  add_class(socket_g, core.classes.Socket)
  add_class(server_g, core.classes.Server)
  -- the class tables themselves: net.Socket.new, net.Socket.prototype, ...
  add_keys(group('Socket class', { 'Socket' }, 'net.Socket'), net.Socket)
  add_keys(group('Server class', { 'Server' }, 'net.Server'), net.Server)
  local conn_err
  local server = net.createServer(function(accepted)
    accepted:setTimeout(1000)
    add_fields(socket_g, accepted)
    accepted:end_('bye')
  end)
  add_fields(server_g, server)
  H.listen(server, function(port)
    add_fields(server_g, server)
    local client = net.connect(port, '127.0.0.1')
    client:setTimeout(1000)
    client:setEncoding('utf8')
    client:on('data', function() end)
    client:on('close', function()
      add_fields(socket_g, client)
      server:close()
      -- a refused connection: the fields of a system error
      local refused = net.connect(port, '127.0.0.1')
      refused:on('error', function(err) conn_err = err end)
    end)
  end)
  H.run()

  -- EventEmitter, and a class made from it
  local emitter_g = group('EventEmitter', { 'emitter', 'EventEmitter' }, 'net.EventEmitter')
  add_keys(emitter_g, net.EventEmitter)

  -- timers, and the objects they return
  add_keys(group('timers', { 'timers' }, 'net.timers'), net.timers)
  local t = net.timers.setTimeout(function() end, 1000)
  add_keys(group('Timeout', { 'timeout' }, 'net.Timeout'), getmetatable(t))
  net.timers.clearTimeout(t)
  local im = net.timers.setImmediate(function() end)
  add_keys(group('Immediate', { 'immediate' }, 'net.Immediate'), getmetatable(im))
  net.timers.clearImmediate(im)

  -- AbortController / AbortSignal, and the fields of an aborted pair
  local controller_g = group('AbortController', { 'controller', 'AbortController' }, 'net.AbortController')
  local signal_g = group('AbortSignal', { 'signal', 'AbortSignal' }, 'net.AbortSignal')
  add_keys(controller_g, net.AbortController)
  add_keys(signal_g, net.AbortSignal)
  local ac = net.AbortController()
  ac.signal:on('abort', function() end)
  ac:abort('why')
  add_keys(controller_g, ac)
  add_keys(signal_g, ac.signal)

  -- BlockList and SocketAddress: the class tables; their properties are
  -- served by __index functions, which cannot be listed: probe Node's names
  local blocklist_g = group('BlockList', { 'blockList', 'BlockList' }, 'net.BlockList')
  add_keys(blocklist_g, net.BlockList)
  local bl = net.BlockList()
  for _, k in ipairs({ 'rules', 'size' }) do
    if bl[k] ~= nil then blocklist_g.names[k] = true end
  end
  local address_g = group('SocketAddress', { 'socketAddress', 'SocketAddress' }, 'net.SocketAddress')
  add_keys(address_g, net.SocketAddress)
  local sa = net.SocketAddress()
  for _, k in ipairs({ 'address', 'family', 'port', 'flowlabel' }) do
    if sa[k] ~= nil then address_g.names[k] = true end
  end

  -- errors: the class, and the fields of a system error and a raised one
  add_keys(group('Error', { 'Error' }, 'net.ErrorClass'), net.Error)
  local err_g = group('error value', { 'err' }, 'net.Error')
  assert(conn_err, 'the refused connection gave no error')
  add_keys(err_g, conn_err)
  local _, raised = pcall(net.connect, { port = -1 })
  add_keys(err_g, raised)

  -- the parts being built: listed when they exist
  local ok_p, promises = pcall(require, 'net.promises')
  if ok_p and type(promises) == 'table' then
    add_keys(group('net.promises', { 'netp' }, 'net.promises'), promises)
  end
  local BoundSocket = net.BoundSocket
  if BoundSocket ~= nil then
    local bound_g = group('BoundSocket', { 'boundSocket', 'BoundSocket' }, 'net.BoundSocket')
    if core.classes.BoundSocket then add_class(bound_g, core.classes.BoundSocket) end
    if type(BoundSocket) == 'table' then
      add_keys(bound_g, BoundSocket)
      local mt = getmetatable(BoundSocket)
      if mt and type(mt.__index) == 'table' then add_keys(bound_g, mt.__index) end
    end
  end
end

local function sorted(set)
  local out = {}
  for k in pairs(set) do out[#out + 1] = k end
  table.sort(out)
  return out
end

describe('the public surface', function()
  setup(collect)

  it('is listed from the running module (the listing itself works)', function()
    local by_what = {}
    for _, g in ipairs(groups) do by_what[g.what] = g.names end
    -- members that exist today, in each kind of place the listing looks
    assert.is_true(by_what.net.createServer)          -- module table
    assert.is_true(by_what.Socket.write)              -- C class methods
    assert.is_true(by_what.Socket.bytesRead)          -- C class getters
    assert.is_true(by_what.Socket.allowHalfOpen)      -- fields of a live socket
    assert.is_true(by_what.Socket.server)             -- fields of an accepted socket
    assert.is_true(by_what.Server.listening)          -- fields of a server
    assert.is_true(by_what.Timeout.refresh)           -- metatable of a returned object
    assert.is_true(by_what.AbortSignal.reason)        -- fields of a live signal
    assert.is_true(by_what['error value'].syscall)    -- fields of a system error
    assert.is_nil(by_what.Socket._write)              -- '_' names are internal
  end)

  it('names no field both a getter and a method (the C __index looks methods up first)', function()
    local EventEmitter = require('net.emitter')
    for _, name in ipairs({ 'Socket', 'Server' }) do
      local class = core.classes[name]
      for key in pairs(class.getters) do
        assert.is_nil(rawget(class.methods, key), name .. '.' .. key)
        assert.is_nil(EventEmitter[key], name .. '.' .. key)
      end
    end
  end)

  it('finds names in the reference only where a heading documents them', function()
    assert.is_true(documented({ 'socket' }, 'write'))
    assert.is_true(documented({ 'socket' }, 'end'))
    assert.is_false(documented({ 'socket' }, 'wri'))       -- a prefix of a name is not the name
    assert.is_false(documented({ 'socket' }, 'noSuchMember'))
    assert.is_false(documented({ 'server' }, 'bytesRead')) -- documented, but for Socket
  end)

  it('is documented in docs/reference: every member has a heading', function()
    local missing = {}
    for _, g in ipairs(groups) do
      for _, name in ipairs(sorted(g.names)) do
        if not documented(g.prefixes, name) then
          missing[#missing + 1] = string.format('%s: %s', g.what, name)
        end
      end
    end
    assert.same({}, missing)
  end)

  it('is defined in the LuaLS types: every member is in its class', function()
    local missing = {}
    for _, g in ipairs(groups) do
      assert.is_not_nil(model.classes[g.class], 'types/ has no class ' .. g.class)
      for _, name in ipairs(sorted(g.names)) do
        if not typed(g.class, name) then
          missing[#missing + 1] = string.format('%s: %s', g.class, name)
        end
      end
    end
    assert.same({}, missing)
  end)
end)

describe('the type definitions', function()
  it('are valid Lua', function()
    for _, path in ipairs(TYPE_FILES) do
      local chunk, err = loadfile(path)
      assert(chunk, err)
    end
  end)

  it('follow the LuaLS annotation syntax and name only defined types', function()
    assert.same({}, type_problems)
  end)

  it('are caught out by a bad annotation (the checker can fail)', function()
    local path = os.tmpname()
    local f = assert(io.open(path, 'w'))
    f:write('---@meta _\n---@class net.Bad: net.Missing\n---@field a strng\n---@param x fun(a: integer\n',
      '---@retrun integer\nlocal Bad = {}\nfunction Other:x() end\n')
    f:close()
    local _, problems = luals.read({ path })
    os.remove(path)
    assert.equal(5, #problems, table.concat(problems, '\n'))
  end)

  -- the event names the definitions offer are the events the reference lists
  local function events_in(page)
    local out = {}
    for name in slurp(page):gmatch("\n###? Event: `'([%w_]+)'`") do out[name] = true end
    return sorted(out)
  end
  local function alias_values(alias)
    local out, inside = {}, false
    for _, path in ipairs(TYPE_FILES) do
      for line in io.lines(path) do
        if line:match('^%-%-%-@alias ' .. alias:gsub('%.', '%%.') .. '%s*$') then
          inside = true
        elseif inside and line:match('^%-%-%-|') then
          out[line:match([[^%-%-%-|%s*'"([^"]+)"']])] = true
        else
          inside = false
        end
      end
    end
    return out
  end

  it("offer every Socket event of the reference to on/once (net.SocketEvent)", function()
    local offered = alias_values('net.SocketEvent')
    local missing = {}
    for _, e in ipairs(events_in('docs/reference/socket.md')) do
      if not offered[e] then missing[#missing + 1] = e end
    end
    assert.same({}, missing)
  end)

  it("offer every Server event of the reference to on/once (net.ServerEvent)", function()
    local offered = alias_values('net.ServerEvent')
    local missing = {}
    for _, e in ipairs(events_in('docs/reference/server.md')) do
      if not offered[e] then missing[#missing + 1] = e end
    end
    assert.same({}, missing)
  end)
end)

describe('the documentation', function()
  it('has Lua samples that all parse', function()
    local pages = { 'README.md' }
    for _, dir in ipairs({ 'docs', 'docs/reference' }) do
      for _, p in ipairs(files_in(dir, '.md')) do pages[#pages + 1] = p end
    end
    local bad = {}
    for _, page in ipairs(pages) do
      local n = 0
      for code in slurp(page):gmatch('```lua\n(.-)```') do
        n = n + 1
        local ok, err = load(code, '=' .. page .. ' sample ' .. n)
        if not ok then bad[#bad + 1] = err end
      end
    end
    assert.same({}, bad)
  end)

  it('links only to files that exist in the repository', function()
    local pages = { 'README.md', 'types/README.md' }
    for _, dir in ipairs({ 'docs', 'docs/reference' }) do
      for _, p in ipairs(files_in(dir, '.md')) do pages[#pages + 1] = p end
    end
    local broken = {}
    for _, page in ipairs(pages) do
      local dir = page:match('^(.*)/') or '.'
      local text = slurp(page):gsub('```.-```', ''):gsub('`[^`\n]*`', '')
      for target in text:gmatch('%]%(([^)%s]+)%)') do
        if not target:match('^%a+:') then
          local file = target:gsub('#.*$', '')
          if file ~= '' and not lfs.attributes(dir .. '/' .. file) then
            broken[#broken + 1] = page .. ' -> ' .. target
          end
        end
      end
    end
    assert.same({}, broken)
  end)

  -- GitHub's anchor of a heading: lower case, punctuation other than '-' and
  -- '_' dropped, each space a '-'; a repeated heading gets '-1', '-2', ...
  local function anchors_of(page)
    local out, seen = {}, {}
    local text = slurp(page):gsub('```.-```', '')
    for heading in text:gmatch('\n#+%s+([^\n]+)') do
      local slug = heading:lower():gsub('[^%w%s_%-]', ''):gsub('%s', '-')
      if seen[slug] then
        seen[slug] = seen[slug] + 1
        slug = slug .. '-' .. seen[slug]
      else
        seen[slug] = 0
      end
      out[slug] = true
    end
    return out
  end

  it('links only to headings that exist (#anchors)', function()
    local pages = { 'README.md', 'types/README.md' }
    for _, dir in ipairs({ 'docs', 'docs/reference' }) do
      for _, p in ipairs(files_in(dir, '.md')) do pages[#pages + 1] = p end
    end
    local broken, cache = {}, {}
    for _, page in ipairs(pages) do
      local dir = page:match('^(.*)/') or '.'
      local text = slurp(page):gsub('```.-```', ''):gsub('`[^`\n]*`', '')
      for target in text:gmatch('%]%(([^)%s]+)%)') do
        local file, anchor = target:match('^([^#]*)#(.+)$')
        if file ~= nil and not target:match('^%a+:') then
          local path = file == '' and page or (dir .. '/' .. file)
          if lfs.attributes(path) and path:match('%.md$') then
            cache[path] = cache[path] or anchors_of(path)
            if not cache[path][anchor] then broken[#broken + 1] = page .. ' -> ' .. target end
          end
        end
      end
    end
    assert.same({}, broken)
  end)

  it("differences.md calls 'not provided' only stream members the Socket does not have", function()
    local text = slurp('docs/differences.md'):gsub('%s+', ' ')
    local list = assert(text:match('other `stream%.Duplex` members (%b()) are not provided'),
      'the "not provided" sentence of differences.md moved: update this spec')
    local sock = net.Socket()
    local class = core.classes.Socket
    local present = {}
    for name in list:gmatch('`([%w_]+)`') do
      if sock[name] ~= nil or class.getters[name] ~= nil then present[#present + 1] = name end
    end
    for name in list:gmatch('`readable%.([%w_]+)`') do
      if sock[name] ~= nil then present[#present + 1] = name end
    end
    sock:destroy()
    H.run(1000)
    assert.same({}, present)
  end)
end)
