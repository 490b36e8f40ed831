-- Node's Buffer encodings over Lua strings: encode() turns a string
-- argument of write() into bytes; decoder() makes setEncoding's decoder,
-- which never splits a character across two 'data' events.
local errors = require('net.errors')

local M = {}

local char, byte, concat = string.char, string.byte, table.concat

local ALIASES = {
  utf8 = 'utf8', ['utf-8'] = 'utf8',
  latin1 = 'latin1', binary = 'latin1',
  ascii = 'ascii',
  hex = 'hex',
  base64 = 'base64', base64url = 'base64url',
  utf16le = 'utf16le', ['utf-16le'] = 'utf16le', ucs2 = 'utf16le', ['ucs-2'] = 'utf16le',
  buffer = 'buffer',
}

function M.normalize(enc)
  if type(enc) ~= 'string' then return nil end
  return ALIASES[enc] or ALIASES[enc:lower()]
end

local function unknown(enc)
  return errors.new('TypeError', 'ERR_UNKNOWN_ENCODING', 'Unknown encoding: ' .. tostring(enc))
end

-- --- UTF-8 ----------------------------------------------------------------

-- Valid UTF-8 stays as it is; each invalid byte becomes U+FFFD, as Node's
-- decoder does.
local REPLACEMENT = '\239\191\189'
local function sanitize_utf8(s)
  if utf8.len(s) then return s end
  local out, i, n = {}, 1, #s
  while i <= n do
    local ok, cp = pcall(utf8.codepoint, s, i)
    if ok then
      local c = utf8.char(cp)
      out[#out + 1] = c
      i = i + #c
    else
      out[#out + 1] = REPLACEMENT
      i = i + 1
    end
  end
  return concat(out)
end

-- How many bytes at the end of `s` start a character not yet complete.
local function incomplete_tail(s)
  local n = #s
  for back = 1, math.min(3, n) do
    local b = byte(s, n - back + 1)
    if b < 0x80 then return 0 end
    if b >= 0xC0 then
      local need = b >= 0xF0 and 4 or b >= 0xE0 and 3 or 2
      return need > back and back or 0
    end
  end
  return 0
end

-- --- UTF-16LE --------------------------------------------------------------

local function utf8_to_utf16le(s)
  local out = {}
  for _, cp in utf8.codes(sanitize_utf8(s)) do
    if cp >= 0x10000 then
      cp = cp - 0x10000
      local hi, lo = 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF)
      out[#out + 1] = char(hi & 0xFF, hi >> 8, lo & 0xFF, lo >> 8)
    else
      out[#out + 1] = char(cp & 0xFF, cp >> 8)
    end
  end
  return concat(out)
end

local function utf16le_to_utf8(s)
  local out, i, n = {}, 1, #s - (#s % 2)
  while i <= n do
    local u = byte(s, i) | (byte(s, i + 1) << 8)
    i = i + 2
    if u >= 0xD800 and u <= 0xDBFF and i <= n then
      local l = byte(s, i) | (byte(s, i + 1) << 8)
      if l >= 0xDC00 and l <= 0xDFFF then
        u = 0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00)
        i = i + 2
      else
        u = 0xFFFD
      end
    elseif u >= 0xD800 and u <= 0xDFFF then
      u = 0xFFFD
    end
    out[#out + 1] = utf8.char(u)
  end
  return concat(out)
end

-- --- base64 ----------------------------------------------------------------

local B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
local B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
local B64DEC = {}
for i = 1, 64 do
  B64DEC[byte(B64, i)] = i - 1
  B64DEC[byte(B64URL, i)] = i - 1
end

local function base64_encode(s, alphabet, pad)
  local out, n = {}, #s
  for i = 1, n, 3 do
    local a, b, c = byte(s, i, i + 2)
    local v = (a << 16) | ((b or 0) << 8) | (c or 0)
    local e1, e2 = (v >> 18) & 63, (v >> 12) & 63
    local e3, e4 = (v >> 6) & 63, v & 63
    out[#out + 1] = alphabet:sub(e1 + 1, e1 + 1) .. alphabet:sub(e2 + 1, e2 + 1)
      .. (b and alphabet:sub(e3 + 1, e3 + 1) or (pad and '=' or ''))
      .. (c and alphabet:sub(e4 + 1, e4 + 1) or (pad and '=' or ''))
  end
  return concat(out)
end

-- Node's base64 decoding is lenient: it skips characters outside the
-- alphabet and stops at the first '='.
local function base64_decode(s)
  local out, acc, bits = {}, 0, 0
  for i = 1, #s do
    local c = byte(s, i)
    if c == 61 then break end
    local v = B64DEC[c]
    if v then
      acc = (acc << 6) | v
      bits = bits + 6
      if bits >= 8 then
        bits = bits - 8
        out[#out + 1] = char((acc >> bits) & 0xFF)
      end
    end
  end
  return concat(out)
end

-- --- latin1 and ascii ------------------------------------------------------

-- String -> bytes: each character's code point, low 8 bits (as Node).
local function utf8_to_latin1(s)
  local out = {}
  for _, cp in utf8.codes(sanitize_utf8(s)) do out[#out + 1] = char(cp & 0xFF) end
  return concat(out)
end

local function latin1_to_utf8(s)
  if not s:find('[\128-\255]') then return s end
  return (s:gsub('[\128-\255]', function(c) return utf8.char(byte(c)) end))
end

local function hex_decode(s)
  local out = {}
  for i = 1, #s - 1, 2 do
    local pair = s:sub(i, i + 1)
    -- two hex digits, or the end (Node stops at the first bad pair; tonumber
    -- alone would take ' 7' or '-1')
    if not pair:find('^%x%x$') then break end
    out[#out + 1] = char(tonumber(pair, 16))
  end
  return concat(out)
end

local function hex_encode(s)
  return (s:gsub('.', function(c) return string.format('%02x', byte(c)) end))
end

-- encode(str, enc) -> bytes, for write(data, enc)
function M.encode(s, enc)
  local e = M.normalize(enc)
  if e == nil then errors.raise(unknown(enc), 4) end
  if e == 'utf8' or e == 'buffer' then return s end
  if e == 'hex' then return hex_decode(s) end
  if e == 'base64' or e == 'base64url' then return base64_decode(s) end
  if e == 'latin1' or e == 'ascii' then return utf8_to_latin1(s) end
  return utf8_to_utf16le(s)
end

-- decoder(enc): { encoding =, write(chunk) -> text, flush() -> text }
function M.decoder(enc)
  local e = M.normalize(enc)
  if e == nil then errors.raise(unknown(enc), 4) end
  local d = { encoding = e, rest = '' }
  if e == 'utf8' or e == 'buffer' then
    function d.write(self, chunk)
      if self.rest ~= '' then chunk = self.rest .. chunk end
      local tail = incomplete_tail(chunk)
      if tail > 0 then
        self.rest = chunk:sub(-tail)
        chunk = chunk:sub(1, -tail - 1)
      else
        self.rest = ''
      end
      return sanitize_utf8(chunk)
    end
    function d.flush(self)
      local r = self.rest
      self.rest = ''
      return r ~= '' and REPLACEMENT or ''
    end
  elseif e == 'utf16le' then
    function d.write(self, chunk)
      chunk = self.rest .. chunk
      local keep = #chunk % 2
      -- keep a high surrogate whose pair has not arrived
      local n = #chunk - keep
      if n >= 2 then
        local last = byte(chunk, n - 1) | (byte(chunk, n) << 8)
        if last >= 0xD800 and last <= 0xDBFF then keep = keep + 2 end
      end
      self.rest = keep > 0 and chunk:sub(-keep) or ''
      return utf16le_to_utf8(chunk:sub(1, #chunk - keep))
    end
    function d.flush(self)
      -- as Node's StringDecoder: a lone trailing byte is dropped, a high
      -- surrogate without its pair comes out (as U+FFFD in UTF-8)
      local r = self.rest
      self.rest = ''
      return utf16le_to_utf8(r:sub(1, #r - #r % 2))
    end
  elseif e == 'base64' or e == 'base64url' then
    local alphabet, pad = e == 'base64' and B64 or B64URL, e == 'base64'
    function d.write(self, chunk)
      chunk = self.rest .. chunk
      local keep = #chunk % 3
      self.rest = keep > 0 and chunk:sub(-keep) or ''
      return base64_encode(chunk:sub(1, #chunk - keep), alphabet, pad)
    end
    function d.flush(self)
      local r = self.rest
      self.rest = ''
      return base64_encode(r, alphabet, pad)
    end
  else
    local convert = e == 'hex' and hex_encode or e == 'latin1' and latin1_to_utf8
      or function(s) return (s:gsub('[\128-\255]', function(c) return char(byte(c) & 0x7F) end)) end
    function d.write(_, chunk) return convert(chunk) end
    function d.flush() return '' end
  end
  return d
end

return M
