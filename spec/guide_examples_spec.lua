-- The programs of docs/guide.md (examples/guide/*.lua), each run as the
-- guide tells a reader to run it: in a child process, with a deadline, its
-- output checked. Servers run in the background while clients (other
-- example programs, or sockets of this spec) talk to them.
local net = require('net')
local H = require('spec.helper')

local EX = 'examples/guide/'
local function deadline(seconds) return math.ceil(seconds * H.SCALE) end

-- Runs a program to its end; returns its output (stdout and stderr) and
-- exit status.
local function run(script, args, seconds)
  local cmd = string.format('timeout %d lua5.4 %s%s %s 2>&1; echo "exit=$?"',
    deadline(seconds or 10), EX, script, args or '')
  local p = assert(io.popen(cmd))
  local out = p:read('a')
  p:close()
  local status = tonumber(out:match('exit=(%d+)\n$'))
  return (out:gsub('exit=%d+\n$', '')), status
end

-- Starts a program in the background; :line() reads its next output line,
-- :stop() ends it (SIGTERM to the process this spec started) and returns
-- the rest of its output; :interrupt() sends SIGINT instead (Ctrl-C) and
-- returns the rest of the output and the exit status.
local function start(script, args, seconds)
  -- the shell io.popen starts prints its pid, then becomes `timeout`, which
  -- passes a signal it gets on to the program once (--foreground: not to
  -- its process group as well)
  local cmd = string.format('echo $$; exec timeout --foreground %d stdbuf -oL lua5.4 %s%s %s 2>&1',
    deadline(seconds or 20), EX, script, args or '')
  local p = assert(io.popen(cmd))
  local pid = assert(tonumber(p:read('l')), 'no pid')
  local proc = { pid = pid }
  function proc.line() return p:read('l') end
  function proc.stop()
    os.execute('kill ' .. pid .. ' 2>/dev/null')
    local rest = p:read('a')
    p:close()
    return rest
  end
  function proc.interrupt()
    os.execute('kill -INT ' .. pid .. ' 2>/dev/null')
    local rest = p:read('a')
    local _, _, status = p:close()
    return rest, status
  end
  return proc
end

-- A TCP port nobody listens on now.
local function free_port()
  local port
  local probe = net.createServer()
  H.listen(probe, function(p)
    port = p
    probe:close()
  end)
  H.run()
  return port
end

local function tmp_path(name)
  return string.format('/tmp/net-guide-%s-%d.sock', name, math.random(1, 1e9))
end

-- The port a server printed in its first line ("... port 12345").
local function port_of(line)
  return assert(tonumber(line and line:match('port (%d+)$')), 'no port in: ' .. tostring(line))
end

describe('guide: echo server and client', function()
  it('echoes the message and logs the client', function()
    local server = start('echo-server.lua', '0')
    local port = port_of(server.line())
    local out, status = run('echo-client.lua', port .. " 'hi there'")
    assert.equal('connected, sending "hi there"\nthe server answered "hi there"\n', out)
    assert.equal(0, status)
    local first = server.line()
    local done = server.line()
    server.stop()
    local from = first:match('^client connected from (127%.0%.0%.1:%d+)$')
    assert.is_not_nil(from, first)
    assert.equal('client ' .. from .. ' is done', done)
  end)

  it('the client fails with a message (exit 1) when nobody listens', function()
    local port = free_port()
    local out, status = run('echo-client.lua', tostring(port))
    assert.equal('could not talk to the server: connect ECONNREFUSED 127.0.0.1:' .. port .. '\n', out)
    assert.equal(1, status)
  end)
end)

describe('guide: Unix domain sockets', function()
  it('unix-hello: the client gets the greeting and close() removes the file', function()
    local path = tmp_path('hello')
    local out, status = run('unix-hello.lua', path)
    assert.equal('listening on ' .. path .. '\nthe client got: hello from the server\n'
      .. 'server closed; socket file removed: true\n', out)
    assert.equal(0, status)
  end)
end)

describe('guide: when things go wrong', function()
  it('an error nobody listens to stops the program with its message', function()
    local port = free_port()
    local out, status = run('uncaught.lua', tostring(port))
    assert.equal('lua5.4: Error: connect ECONNREFUSED 127.0.0.1:' .. port .. '\n', out)
    assert.equal(1, status)
  end)

  it('the robust server logs a reset client and goes on serving', function()
    local server = start('robust-server.lua', '0')
    local port = port_of(server.line())
    local rude = run('rude-client.lua', tostring(port))
    assert.equal('got an answer; resetting the connection\n', rude)
    local logged = server.line()
    assert.matches('^client 127%.0%.0%.1:%d+: ECONNRESET %(read%)$', logged)
    local out, status = run('echo-client.lua', port .. ' still-there')
    server.stop()
    assert.equal('connected, sending "still-there"\nthe server answered "still-there"\n', out)
    assert.equal(0, status)
  end)

  it('the robust server stops at once when it cannot listen', function()
    local holder = net.createServer()
    local out, status
    H.listen(holder, function(port)
      out, status = run('robust-server.lua', tostring(port))
      holder:close()
    end)
    H.run(15000)
    assert.matches('^server: listen EADDRINUSE: address already in use 127%.0%.0%.1:%d+\n$', out)
    assert.equal(1, status)
  end)
end)

describe('guide: many cores with reusePort', function()
  it('two workers listen on one port and every connection is answered', function()
    local port = free_port()
    local w1 = start('reuseport-worker.lua', port .. ' 1')
    local w2 = start('reuseport-worker.lua', port .. ' 2')
    local l1, l2 = w1.line(), w2.line()
    assert.equal('worker 1 listening on port ' .. port, l1)
    assert.equal('worker 2 listening on port ' .. port, l2)
    local answers, n = {}, 20
    for i = 1, n do
      local sock = net.connect(port, '127.0.0.1')
      local got = {}
      sock:on('data', function(d) got[#got + 1] = d end)
      sock:on('close', function() answers[i] = table.concat(got) end)
    end
    H.run(10000)
    w1.stop()
    w2.stop()
    for i = 1, n do
      assert.matches('^hello from worker [12]\n$', answers[i])
    end
  end)
end)

describe('guide: exercises', function()
  it('chat server: lines go to the other clients, whole, with the sender name', function()
    local server = start('chat-server.lua', '0')
    local port = port_of(server.line())
    local seen_a, seen_b = {}, {}
    local a, b
    local name_a, name_b
    local function lines_of(sock, seen, on_line)
      local pending = ''
      sock:setEncoding('utf8')
      sock:on('data', function(text)
        pending = pending .. text
        for line in pending:gmatch('([^\n]*)\n') do
          seen[#seen + 1] = line
          on_line(line)
        end
        pending = pending:match('[^\n]*$')
      end)
    end
    a = net.connect(port, '127.0.0.1')
    lines_of(a, seen_a, function(line)
      if #seen_a == 1 then
        name_a = line:match('^welcome, (.*)$')
        b = net.connect(port, '127.0.0.1')
        lines_of(b, seen_b, function(bline)
          if #seen_b == 1 then
            name_b = bline:match('^welcome, (.*)$')
          elseif bline:find(': hello, everyone', 1, true) then
            b:end_()            -- B leaves once A's line arrived
          end
        end)
      elseif line:find(' joined$') then
        -- one line sent in two pieces still arrives as one line
        a:write('hello, ')
        net.timers.setTimeout(function() a:write('everyone\r\n') end, 50)
      elseif line:find(' left$') then
        a:end_()
      end
    end)
    a:on('close', function() end)
    H.run(10000)
    server.stop()
    assert.is_not_nil(name_a)
    assert.is_not_nil(name_b)
    assert.same({ 'welcome, ' .. name_a, name_b .. ' joined', name_b .. ' left' }, seen_a)
    assert.same({ 'welcome, ' .. name_b, name_a .. ': hello, everyone' }, seen_b)
  end)

  it('timeout client: prints the answer line (exit 0)', function()
    local server = start('echo-server.lua', '0')
    local port = port_of(server.line())
    local out, status = run('timeout-client.lua', port .. ' ping 2000')
    server.stop()
    assert.equal('answer: ping\n', out)
    assert.equal(0, status)
  end)

  it('timeout client: gives up on a silent server after its timeout (exit 1)', function()
    local child, connected, silent
    silent = net.createServer(function(sock)
      connected = true          -- and never answers
      sock:resume()             -- reads (and drops) data, so that the peer's end is seen
      sock:on('close', function() silent:close() end)
    end)
    H.listen(silent, function(port)
      child = assert(io.popen(string.format('timeout %d lua5.4 %stimeout-client.lua %d ping 300 2>&1; echo "exit=$?"',
        deadline(10), EX, port)))
    end)
    H.run(10000)
    local out = child:read('a')
    child:close()
    assert.is_true(connected)
    assert.equal('no answer within 300 ms, giving up\nexit=1\n', out)
  end)

  it('unix-socket key-value store: SET, GET, unknown commands, QUIT', function()
    local path = tmp_path('kv')
    local server = start('unix-server.lua', path)
    assert.equal('key-value store listening on ' .. path, server.line())
    local got = {}
    local sock = net.connect(path)
    sock:setEncoding('utf8')
    sock:on('data', function(text) got[#got + 1] = text end)
    sock:write('SET colour blue\nGET colour\nGET size\r\n')
    sock:write('FROB\nQUIT\n')
    H.run(10000)
    server.stop()
    os.remove(path)
    assert.equal('OK\nblue\nNIL\nERROR unknown command\nBYE\n', table.concat(got))
  end)
end)

describe('guide: the sequential style', function()
  it('sequential.lua: the echo server and client as tasks, answers in order (exit 0)', function()
    local out, status = run('sequential.lua')
    local port = out:match('^listening on port (%d+)\n')
    assert.is_not_nil(port, out)
    assert.equal('listening on port ' .. port .. '\necho: one\necho: two\necho: three\n', out)
    assert.equal(0, status)
  end)
end)

describe('guide: beside luv', function()
  it('with-luv.lua: a net server under uv.run(); a luv signal handler stops it on Ctrl-C (exit 0)', function()
    local server = start('with-luv.lua', '0')
    local port = port_of(server.line())
    local answers = {}
    local function visit(i, after)
      local sock = net.connect(port, '127.0.0.1')
      local got = {}
      sock:on('data', function(d) got[#got + 1] = d end)
      sock:on('close', function()
        answers[i] = table.concat(got)
        if after then after() end
      end)
    end
    visit(1, function() visit(2) end)
    H.run(10000)
    local rest, status = server.interrupt()
    assert.same({ 'you are visitor 1\n', 'you are visitor 2\n' }, answers)
    -- the luv handler closed the server and both luv handles: uv.run()
    -- returned and the program ended by itself
    assert.equal('stopping\n', rest)
    assert.equal(0, status)
  end)
end)

describe('guide: the text', function()
  it('shows each program exactly as the file in examples/guide/ that runs', function()
    local f = assert(io.open('docs/guide.md'))
    local guide = f:read('a')
    f:close()
    local files = {}
    for name in require('lfs').dir(EX) do
      if name:match('%.lua$') then
        local g = assert(io.open(EX .. name))
        files[g:read('a')] = name
        g:close()
      end
    end
    local shown, strays = {}, {}
    for code in guide:gmatch('```lua\n(.-)```') do
      local name = files[code]
      if name then shown[#shown + 1] = name else strays[#strays + 1] = code end
    end
    assert.same({}, strays)
    table.sort(shown)
    assert.same({ 'echo-client.lua', 'echo-server.lua', 'reuseport-worker.lua', 'robust-server.lua',
      'rude-client.lua', 'sequential.lua', 'uncaught.lua', 'unix-hello.lua', 'with-luv.lua' }, shown)
  end)
end)

describe('README: the short tour', function()
  it('runs and prints the upper-cased echo', function()
    local f = assert(io.open('README.md'))
    local readme = f:read('a')
    f:close()
    local code = assert(readme:match('## A short tour\n.-```lua\n(.-)```'), 'no tour in README.md')
    local path = os.tmpname()
    local g = assert(io.open(path, 'w'))
    g:write(code)
    g:close()
    local p = assert(io.popen(string.format('timeout %d lua5.4 %s 2>&1; echo "exit=$?"', deadline(10), path)))
    local out = p:read('a')
    p:close()
    os.remove(path)
    assert.equal('got: HELLO\nexit=0\n', out)
  end)
end)
