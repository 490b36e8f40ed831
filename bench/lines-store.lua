-- The store the line-protocol servers of bench/run-lines.sh serve: keys
-- key0..key999, the value of key<k> is "value-<k>-" and k % 32 x's
-- (bench/loadgen.c's lines mode checks every answer against this).
local store = {}
for k = 0, 999 do
  store['key' .. k] = 'value-' .. k .. '-' .. string.rep('x', k % 32)
end
return store
