-- Runs busted on spec/ (or the given paths) and ends the output with the
-- line CI reads: "N passed, N failed" (errors count as failed).
local runner = require('busted.runner')
local counts = { passed = 0, failed = 0, pending = 0 }

local busted_handler = function(options)
  local busted = require('busted')
  local handler = require('busted.outputHandlers.utfTerminal')(options)
  busted.subscribe({ 'test', 'end' }, function(_, _, status)
    if status == 'success' then counts.passed = counts.passed + 1
    elseif status == 'pending' then counts.pending = counts.pending + 1
    else counts.failed = counts.failed + 1 end
    return nil, true
  end)
  busted.subscribe({ 'error', 'file' }, function()
    counts.failed = counts.failed + 1
    return nil, true
  end)
  busted.subscribe({ 'suite', 'end' }, function()
    io.stdout:write('\n')
    if counts.pending > 0 then
      io.stdout:write(string.format('%d passed, %d failed, %d skipped\n',
        counts.passed, counts.failed, counts.pending))
    else
      io.stdout:write(string.format('%d passed, %d failed\n', counts.passed, counts.failed))
    end
    io.stdout:flush()
    return nil, true
  end)
  return handler
end

package.loaded['net_busted_summary'] = busted_handler
local args = _G.arg -- busted's runner reads the global arg table
if #args == 0 then args[1] = 'spec' end
table.insert(args, 1, '--output=net_busted_summary')
runner({ standalone = false })
