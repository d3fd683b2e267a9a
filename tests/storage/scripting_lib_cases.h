#pragma once
// EVAL bodies (no keys, no arguments) for the libraries scripts get besides Lua's own: cmsgpack
// and struct (storage/scripting/lua_cmsgpack.cpp, lua_struct.cpp), cjson and bit (Debian's). Each
// must reply byte-identically from redis-server 7.0 and from the local store. Binary results are
// returned as hex; tables whose key order is unspecified are serialized with sorted keys; errors
// are caught with pcall and returned as their message.

#include <string_view>

namespace respite::storage::testing {

inline constexpr std::string_view kLibScriptCases[] = {
    // ---- cmsgpack: integers, every size boundary.
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
local r = {}
for _, n in ipairs({0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296}) do
  r[#r + 1] = hex(cmsgpack.pack(n))
end
return r)lua",
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
local r = {}
for _, n in ipairs({-1, -31, -32, -33, -127, -128, -129, -32767, -32768, -32769}) do
  r[#r + 1] = hex(cmsgpack.pack(n))
end
return r)lua",
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
local r = {}
for _, n in ipairs({-2147483647, -2147483648, -2147483649, 2^53, -2^53, 2^62, -2^63,
        2^63 - 1024}) do
  r[#r + 1] = hex(cmsgpack.pack(n))
end
return r)lua",
    R"lua(local r = {}
for _, n in ipairs({0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, 2^53,
                    -1, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649, -2^53}) do
  local back = cmsgpack.unpack(cmsgpack.pack(n))
  r[#r + 1] = tostring(back) .. (back == n and ' ok' or ' DIFF')
end
return r)lua",
    // Integral doubles out of int64 range and fractions go out as floats.
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
return {hex(cmsgpack.pack(2^63)), hex(cmsgpack.pack(2^64)), hex(cmsgpack.pack(-2^64)),
        hex(cmsgpack.pack(1e300)), hex(cmsgpack.pack(-1e300)),
        hex(cmsgpack.pack(2^70 + 2^20))})lua",
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
local r = {}
for _, n in ipairs({1.5, -1.5, 0.5, 0.1, -0.1, 3.14159, 1/3, 0.25, 1e-10, 2^-149, 2^-150,
        3.4028234663852886e38, 3.5e38}) do
  r[#r + 1] = hex(cmsgpack.pack(n))
end
return r)lua",
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
return {hex(cmsgpack.pack(1/0)), hex(cmsgpack.pack(-1/0)), hex(cmsgpack.pack(0/0)),
        hex(cmsgpack.pack(-0.0)), tostring(cmsgpack.unpack(cmsgpack.pack(1/0))),
        tostring(cmsgpack.unpack(cmsgpack.pack(-1/0)))})lua",
    R"lua(local r = {}
for _, n in ipairs({1.5, -1.5, 0.1, -0.1, 3.14159, 1/3, 1e-10, 1e300, 2^63, 2^-149}) do
  local back = cmsgpack.unpack(cmsgpack.pack(n))
  r[#r + 1] = string.format('%.17g', back) .. (back == n and ' ok' or ' DIFF')
end
return r)lua",
    // ---- Decoding every integer type, including uint 64 above int64 (wraps negative in Redis).
    R"lua(local r = {}
for _, s in ipairs({'\204\255', '\205\255\255', '\206\255\255\255\255',
                    '\207\0\0\0\1\0\0\0\0', '\207\127\255\255\255\255\255\255\255',
                    '\207\255\255\255\255\255\255\255\255', '\207\128\0\0\0\0\0\0\0',
                    '\208\128', '\208\127', '\209\128\0', '\209\255\254', '\210\128\0\0\0',
                    '\210\0\0\1\0', '\211\128\0\0\0\0\0\0\0',
                    '\211\255\255\255\255\255\255\255\254',
                    '\224', '\255', '\127', '\0'}) do
  r[#r + 1] = string.format('%.17g', cmsgpack.unpack(s))
end
return r)lua",
    R"lua(local a = cmsgpack.unpack('\202\63\192\0\0')
local b = cmsgpack.unpack('\203\63\185\153\153\153\153\153\154')
local c = cmsgpack.unpack('\202\127\192\0\0')
return {tostring(a), tostring(b), tostring(c ~= c), tostring(cmsgpack.unpack('\202\0\0\0\1'))})lua",
    // ---- Strings: header forms at 0/31/32/255/256/65535/65536 bytes.
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
local r = {}
for _, n in ipairs({0, 1, 31, 32, 255, 256, 65535, 65536, 100000}) do
  local s = string.rep('x', n)
  local p = cmsgpack.pack(s)
  r[#r + 1] = hex(p:sub(1, 6)) .. ' ' .. #p .. ' ' .. tostring(cmsgpack.unpack(p) == s)
end
return r)lua",
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
local s = 'a\0b\255\r\n'
return {hex(cmsgpack.pack(s)), cmsgpack.unpack(cmsgpack.pack(s)), hex(cmsgpack.pack('123')),
        type(cmsgpack.unpack(cmsgpack.pack('123')))})lua",
    R"lua(return {cmsgpack.unpack('\217\3abc'), cmsgpack.unpack('\218\0\3abc'),
        cmsgpack.unpack('\219\0\0\0\3abc'), cmsgpack.unpack('\163xyz'),
        cmsgpack.unpack('\160')})lua",
    // ---- Booleans, nil and types msgpack lacks.
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
return {hex(cmsgpack.pack(true)), hex(cmsgpack.pack(false)), hex(cmsgpack.pack(nil)),
        hex(cmsgpack.pack(function() end)), hex(cmsgpack.pack(coroutine.create(function() end))),
        hex(cmsgpack.pack(nil, true, false, nil))})lua",
    R"lua(local a, b, c, d = cmsgpack.unpack('\195\194\192\1')
return {tostring(a), tostring(b), tostring(c), tostring(d), select('#',
        cmsgpack.unpack('\195\194\192\1'))})lua",
    // ---- Arrays vs maps.
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
return {hex(cmsgpack.pack({})), hex(cmsgpack.pack({1, 2, 3})), hex(cmsgpack.pack({'a', {'b'},
        true})),
        hex(cmsgpack.pack({[1] = 'x', [2] = 'y'})), hex(cmsgpack.pack({[2] = 'y',
        [1] = 'x'}))})lua",
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
local r = {}
for _, n in ipairs({15, 16, 65535, 65536}) do
  local t = {}
  for i = 1, n do t[i] = i % 100 end
  local p = cmsgpack.pack(t)
  local back = cmsgpack.unpack(p)
  r[#r + 1] = hex(p:sub(1, 5)) .. ' ' .. #p .. ' ' .. #back .. ' ' .. back[n]
end
return r)lua",
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
return {hex(cmsgpack.pack({a = 1})), hex(cmsgpack.pack({[0] = 'z'})),
        hex(cmsgpack.pack({[-1] = 'z'})),
        hex(cmsgpack.pack({[1.5] = 'h'})), hex(cmsgpack.pack({[2] = 'two'})),
        hex(cmsgpack.pack({[true] = false})),
        hex(cmsgpack.pack({[2^31] = 1})), hex(cmsgpack.pack({[2^31 - 1] = 1}))})lua",
    // Holes and mixed keys: array part first (in index order), then the hash part.
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
return {hex(cmsgpack.pack({1, nil, 3})), hex(cmsgpack.pack({1, 2, x = 'y'})),
        hex(cmsgpack.pack({nil, 2}))})lua",
    R"lua(local function ser(v)
  if type(v) ~= 'table' then return type(v) == 'string' and string.format('%q',
        v) or tostring(v) end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  local parts = {}
  for _, k in ipairs(keys) do parts[#parts + 1] = ser(k) .. '=' .. ser(v[k]) end
  return '{' .. table.concat(parts, ',') .. '}'
end
local t = {name = 'redis', list = {1, 2, {3, 4}}, nested = {deep = {deeper = {true, false}}},
        [10] = 'ten', f = 0.5}
return ser(cmsgpack.unpack(cmsgpack.pack(t))))lua",
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
local r = {}
for _, n in ipairs({15, 16, 65535, 65536}) do
  local t = {}
  for i = 1, n do t['k' .. i] = i end
  local p = cmsgpack.pack(t)
  local back = cmsgpack.unpack(p)
  local count = 0
  for _ in pairs(back) do count = count + 1 end
  r[#r + 1] = hex(p:sub(1, 5)) .. ' ' .. #p .. ' ' .. count .. ' ' .. back['k' .. n]
end
return r)lua",
    R"lua(local function ser(v)
  if type(v) ~= 'table' then return type(v) == 'string' and string.format('%q',
        v) or tostring(v) end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  local parts = {}
  for _, k in ipairs(keys) do parts[#parts + 1] = ser(k) .. '=' .. ser(v[k]) end
  return '{' .. table.concat(parts, ',') .. '}'
end
-- Maps with non-string keys, arrays holding nil, a map inside an array.
return {ser(cmsgpack.unpack('\130\1\2\195\164true')), ser(cmsgpack.unpack('\147\1\192\3')),
        ser(cmsgpack.unpack('\145\129\161a\145\161b')), ser(cmsgpack.unpack('\222\0\1\161k\161v')),
        ser(cmsgpack.unpack('\223\0\0\0\1\161k\161v')), ser(cmsgpack.unpack('\220\0\2\1\2')),
        ser(cmsgpack.unpack('\221\0\0\0\2\1\2'))})lua",
    // ---- Nesting: tables deeper than 16 become nil; cycles terminate.
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
local t = {}
t[1] = t
local m = {}
m.self = m
local deep = 'leaf'
for i = 1, 20 do deep = {deep} end
return {hex(cmsgpack.pack(t)), hex(cmsgpack.pack(m)), hex(cmsgpack.pack(deep))})lua",
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
local r = {}
for depth = 14, 17 do
  local v = 7
  for i = 1, depth do v = {v} end
  r[#r + 1] = hex(cmsgpack.pack(v))
  local m = 7
  for i = 1, depth do m = {[m] = 1} end
  r[#r + 1] = hex(cmsgpack.pack(m))
end
return r)lua",
    // ---- Several values in one string.
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
local p = cmsgpack.pack(1, 'two', {3}, -4, 5.5)
local a, b, c, d, e = cmsgpack.unpack(p)
return {hex(p), a, b, c[1], d, tostring(e), select('#', cmsgpack.unpack(p))})lua",
    R"lua(return {select('#', cmsgpack.unpack('')), cmsgpack.unpack_one(''), select('#',
        cmsgpack.unpack_one('')),
        select('#', cmsgpack.unpack_limit('', 3))})lua",
    // unpack_one walks the stream; the offset is -1 after the last value.
    R"lua(local p = cmsgpack.pack('a', 200, {1, 2}, 'last')
local r = {}
local offset = 0
while offset ~= -1 do
  local value
  offset, value = cmsgpack.unpack_one(p, offset)
  r[#r + 1] = offset
  r[#r + 1] = type(value) == 'table' and #value or value
end
return r)lua",
    R"lua(local p = cmsgpack.pack(1, 2, 3, 4, 5)
local function pack(...) return {select('#', ...), ...} end
return {pack(cmsgpack.unpack_limit(p, 2)), pack(cmsgpack.unpack_limit(p, 2, 2)),
        pack(cmsgpack.unpack_limit(p, 10, 3)), pack(cmsgpack.unpack_limit(p, 5)),
        pack(cmsgpack.unpack_limit(p, 1, 4)), pack(cmsgpack.unpack_one(p, 4))})lua",
    // Quirks: limit 0 without offset unpacks everything (no offset); with an offset, nothing.
    R"lua(local p = cmsgpack.pack(1, 2, 3)
local function pack(...) return {select('#', ...), ...} end
return {pack(cmsgpack.unpack_limit(p, 0)), pack(cmsgpack.unpack_limit(p, 0, 1)),
        pack(cmsgpack.unpack_one(p, 3)), pack(cmsgpack.unpack_one(p, 0)),
        pack(cmsgpack.unpack_limit(p, 2.9)),
        pack(cmsgpack.unpack_one(p, '1'))})lua",
    // ---- cmsgpack errors.
    R"lua(local function e(...) local ok, err = pcall(...)
  return tostring(ok) .. ' ' .. tostring(err) end
return {e(cmsgpack.pack), e(function() return cmsgpack.pack() end), e(cmsgpack.unpack),
        e(cmsgpack.unpack, nil), e(cmsgpack.unpack, {}), e(function() return cmsgpack.unpack() end),
        e(cmsgpack.unpack_one), e(cmsgpack.unpack_one, 'x', 'y'), e(cmsgpack.unpack_limit, 'x'),
        e(cmsgpack.unpack_limit, 'x', 'y'), e(cmsgpack.unpack_limit, 'x', 1, {})})lua",
    R"lua(local function e(...) local ok, err = pcall(...)
  return tostring(ok) .. ' ' .. tostring(err) end
return {e(cmsgpack.unpack, '\205\1'), e(cmsgpack.unpack, '\193'), e(cmsgpack.unpack, '\196\1a'),
        e(cmsgpack.unpack, '\199\1\1a'), e(cmsgpack.unpack, '\212\1\1'), e(cmsgpack.unpack,
        '\146\1'),
        e(cmsgpack.unpack, '\219\255\255\255\255'), e(cmsgpack.unpack, '\221\255\255\255\255'),
        e(cmsgpack.unpack, '\1\2\163ab'), e(function() return cmsgpack.unpack('\202\0') end),
        e(cmsgpack.unpack, '\129\1'), e(cmsgpack.unpack, '\130\1\2\3')})lua",
    R"lua(local function e(...) local ok, err = pcall(...)
  return tostring(ok) .. ' ' .. tostring(err) end
return {e(cmsgpack.unpack_one, 'abc', -1), e(cmsgpack.unpack_one, 'abcdef', 100),
        e(cmsgpack.unpack_limit, 'abc', -2), e(cmsgpack.unpack_limit, 'abcd', -2, -3),
        e(cmsgpack.unpack_limit, 'abc', 1, 4), e(function() return cmsgpack.unpack_one('\1',
        2) end),
        e(cmsgpack.unpack_one, '\1\2', 2), e(cmsgpack.unpack_one, '\1\193', 1)})lua",
    // Keys Lua cannot store.
    R"lua(local function e(...) local ok, err = pcall(...)
  return tostring(ok) .. ' ' .. tostring(err) end
return {e(cmsgpack.unpack, '\129\192\1'), e(cmsgpack.unpack, '\129\203\255\248\0\0\0\0\0\0\1'),
        e(function() return cmsgpack.unpack('\129\192\1') end),
        type(cmsgpack.unpack('\129\1\192'))})lua",
    // Too many values at once, and nesting deep enough to exhaust Lua's C stack limit.
    R"lua(local function e(...) local ok, err = pcall(...)
  return tostring(ok) .. ' ' .. tostring(err) end
return {e(cmsgpack.unpack, string.rep('\1', 8000)), select('#', cmsgpack.unpack(string.rep('\1',
        7990))),
        e(cmsgpack.unpack, string.rep('\145', 5000) .. '\1'), e(cmsgpack.unpack, string.rep('\129',
        9000) .. '\1'),
        e(cmsgpack.unpack_one, string.rep('\145', 4500) .. '\1'),
        e(function() return cmsgpack.unpack(string.rep('\145', 4000) .. '\1') end)})lua",
    R"lua(local ok, deep = pcall(cmsgpack.unpack, string.rep('\145', 3990) .. '\1')
local depth = 0
while type(deep) == 'table' do deep = deep[1]; depth = depth + 1 end
return {tostring(ok), depth, deep})lua",
    R"lua(local t = {}
for i = 1, 5000 do t[i] = i end
local ok, err = pcall(function() return cmsgpack.pack(unpack(t)) end)
local t2 = {}
for i = 1, 3900 do t2[i] = i end
local ok2, p = pcall(function() return cmsgpack.pack(unpack(t2)) end)
return {tostring(ok), err, tostring(ok2), ok2 and #p or p})lua",
    R"lua(return {cmsgpack._NAME, cmsgpack._VERSION, cmsgpack._COPYRIGHT, cmsgpack._DESCRIPTION,
        type(cmsgpack.pack), type(cmsgpack.unpack), type(cmsgpack.unpack_one),
        type(cmsgpack.unpack_limit)})lua",
    // A number argument to unpack is read as its string form.
    R"lua(return {cmsgpack.unpack(5), cmsgpack.unpack(12), cmsgpack.unpack_one(7, 0)})lua",
    // Outputs past the encoder's first buffer, several arguments in a row.
    R"lua(local a, b = string.rep('a', 1000), string.rep('b', 70000)
local p = cmsgpack.pack(a, b, {a, {b}}, 1)
local x, y, z, w = cmsgpack.unpack(p)
return {#p, x == a, y == b, z[1] == a, z[2][1] == b, w, #cmsgpack.pack(b, a)})lua",
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
-- String keys that look like numbers make maps; integral float keys count as indexes.
return {hex(cmsgpack.pack({['1'] = 'a'})), hex(cmsgpack.pack({[1.0] = 'a', [2] = 'b'})),
        hex(cmsgpack.pack({{}, {{}}, {a = {}}})), hex(cmsgpack.pack({1, 2, [4] = 4,
        [3] = 3}))})lua",
    // A decode error after some values discards them all.
    R"lua(local function e(...) local ok, err = pcall(...)
  return tostring(ok) .. ' ' .. tostring(err) end
local p = cmsgpack.pack(1, 2) .. '\193'
local function n(...) return select('#', ...) end
return {e(cmsgpack.unpack, p), e(cmsgpack.unpack_limit, p, 3), n(cmsgpack.unpack_limit(p, 2)),
        e(cmsgpack.unpack_one, p, 2), e(cmsgpack.unpack, '\145\146\1')})lua",
    // ---- struct: every integer type, both byte orders.
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
return {hex(struct.pack('<bBhHlLTiI', -1, 255, -2, 65535, -3, 4294967296, 7, -5, 6)),
        hex(struct.pack('>bBhHlLTiI', -1, 255, -2, 65535, -3, 4294967296, 7, -5, 6)),
        hex(struct.pack('bhli', 1, 2, 3, 4))})lua",
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
local r = {}
for n = 0, 9 do r[#r + 1] = hex(struct.pack('>i' .. n, -2)) .. '/' .. hex(struct.pack('<I' .. n,
        258)) end
r[#r + 1] = hex(struct.pack('>i16', -1))
r[#r + 1] = hex(struct.pack('<i32', 1))
return r)lua",
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
return {hex(struct.pack('>b', 300)), hex(struct.pack('>B', -1)), hex(struct.pack('>h', 1.9)),
        hex(struct.pack('>h', -1.9)), hex(struct.pack('>H', 70000)), hex(struct.pack('>i', 2^31)),
        hex(struct.pack('>I', -1)), hex(struct.pack('>l', -0.5)), hex(struct.pack('>i', '42')),
        hex(struct.pack('>h', ' 0x10 '))})lua",
    // Out-of-range numbers convert as Redis' x86-64 build converts them.
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
return {hex(struct.pack('>L', 2^64)), hex(struct.pack('>L', 1/0)), hex(struct.pack('>L', 0/0)),
        hex(struct.pack('>L', -1/0)), hex(struct.pack('>L', 2^63 + 2048)), hex(struct.pack('>l',
        2^63)),
        hex(struct.pack('>l', -2^63)), hex(struct.pack('>l', -2^64)), hex(struct.pack('>L',
        2^63 - 1024)),
        hex(struct.pack('>L', 1e300)), hex(struct.pack('>I', 2^40 + 5))})lua",
    R"lua(local function u(...)
  local r = {...} for i = 1, #r do r[i] = string.format('%.17g', r[i]) end return r end
return {u(struct.unpack('<bBhHlLT', struct.pack('<bBhHlLT', -1, 255, -2, 65535, -3, 4294967296,
        7))),
        u(struct.unpack('>i3I3i5I5', '\255\255\254\255\255\254\128\0\0\0\0\128\0\0\0\0')),
        u(struct.unpack('<I8i8', string.rep('\255', 16))), u(struct.unpack('>l',
        '\128\0\0\0\0\0\0\0')),
        u(struct.unpack('>L', '\128\0\0\0\0\0\0\1'))})lua",
    // Integers wider than 8 bytes keep only their low 8 bytes; the sign test wraps modulo 64 bits.
    R"lua(local function u(...)
  local r = {...} for i = 1, #r do r[i] = string.format('%.17g', r[i]) end return r end
return {u(struct.unpack('<i9', '\128' .. string.rep('\0', 8))), u(struct.unpack('<i16',
        '\128' .. string.rep('\0', 15))),
        u(struct.unpack('<i12', string.rep('\0', 11) .. '\128')), u(struct.unpack('>I10',
        '\1\2\3\4\5\6\7\8\9\10')),
        u(struct.unpack('>i10', string.rep('\255', 10))), u(struct.unpack('<i9',
        '\0\0\0\0\0\0\0\128\0')),
        u(struct.unpack('i0I0', '')), u(struct.unpack('>i32', string.rep('\1', 32)))})lua",
    // ---- Floats.
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
return {hex(struct.pack('<f', 1.5)), hex(struct.pack('>f', 1.5)), hex(struct.pack('<d', 0.1)),
        hex(struct.pack('>d', -0.1)), hex(struct.pack('>f', 0.1)), hex(struct.pack('>f', 1e40)),
        hex(struct.pack('>f', -1e40)), hex(struct.pack('>d', 1/0)), hex(struct.pack('>f',
        2^-149))})lua",
    R"lua(local function u(...)
  local r = {...} for i = 1, #r do r[i] = string.format('%.17g', r[i]) end return r end
return {u(struct.unpack('<fd', struct.pack('<fd', 0.1, 0.1))), u(struct.unpack('>fd',
        struct.pack('>fd', -2.5, 1e300))),
        u(struct.unpack('>f', '\127\128\0\0')), u(struct.unpack('<d',
        '\0\0\0\0\0\0\240\255'))})lua",
    // ---- Alignment.
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
return {hex(struct.pack('!4bi', 1, 2)), hex(struct.pack('!bd', 1, 0)), hex(struct.pack('!2bid', 1,
        2, 0)),
        hex(struct.pack('!1bi', 1, 2)), hex(struct.pack('!8bhbibl', 1, 2, 3, 4, 5, 6)),
        hex(struct.pack('!4bxbc3bs', 1, 2, 'abc', 3, 'z')), hex(struct.pack('!8b!2i', 1, 2)),
        hex(struct.pack('!16bT', 1, 2)), hex(struct.pack('!4b>h<i', 1, 2, 3))})lua",
    // Sizes that are not powers of two follow Redis' mask arithmetic.
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
return {hex(struct.pack('!8bi3', 1, 2)), hex(struct.pack('!8bbi3', 1, 2, 3)),
        hex(struct.pack('!8bi5', 1, 2)),
        hex(struct.pack('!8bbbi6', 1, 2, 3, 4)), hex(struct.pack('!4bi12', 1, 2)),
        struct.size('!8bi3'),
        struct.size('!8bbi7'), struct.size('!8bbbbbi6')})lua",
    R"lua(local function u(...)
  local r = {...} for i = 1, #r do r[i] = tostring(r[i]) end return r end
return {u(struct.unpack('!4bi', struct.pack('!4bi', 7, -9))), u(struct.unpack('!bd',
        struct.pack('!bd', 1, 2.5))),
        u(struct.unpack('!8bi3', '\1\0\0\0\2\0\0\0')), u(struct.unpack('!2bxh',
        '\1\0\0\0\5\0'))})lua",
    // ---- Strings: s, c<n>, c0 and padding.
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
return {hex(struct.pack('s', 'hi')), hex(struct.pack('c5', 'hello world')), hex(struct.pack('c0',
        'whole')),
        hex(struct.pack('c', 'xyz')), hex(struct.pack('bxxb', 1, 2)), hex(struct.pack('s', '')),
        hex(struct.pack('c0s', '', 'a')), hex(struct.pack('c2', 12)), hex(struct.pack('s',
        'a\0b'))})lua",
    R"lua(local function u(...)
  local r = {...} for i = 1, #r do r[i] = tostring(r[i]) end return r end
return {u(struct.unpack('s', 'hello\0world\0')), u(struct.unpack('ss', 'hello\0world\0')),
        u(struct.unpack('c3c2', 'abcdefg')), u(struct.unpack('bc0', '\3abcdef')),
        u(struct.unpack('c1c0', '3abcdef')),
        u(struct.unpack('>hc0b', '\0\2xy\9')), u(struct.unpack('c2c0', '02xyz', 1)),
        u(struct.unpack('x', 'q')),
        u(struct.unpack('bxc0', '\2\0ab'))})lua",
    // c0 takes its length from the previous number, converted as Redis' build converts it.
    R"lua(local function e(...)
  local r = {pcall(...)} for i = 1, #r do r[i] = tostring(r[i]) end return r end
return {e(struct.unpack, 'dc0', struct.pack('d', 2^64) .. 'abc'), e(struct.unpack, 'dc0',
        struct.pack('d', 0/0) .. 'abc'),
        e(struct.unpack, 'dc0', struct.pack('d', 1/0) .. 'abc'), e(struct.unpack, 'dc0',
        struct.pack('d', -1) .. 'abc'),
        e(struct.unpack, 'dc0', struct.pack('d', 2.9) .. 'abc'), e(struct.unpack, 'dc0',
        struct.pack('d', -0.5) .. 'abc'),
        e(struct.unpack, 'bc0', '\4abc')})lua",
    // ---- Offsets for unpack.
    R"lua(local function u(...)
  local r = {...} for i = 1, #r do r[i] = tostring(r[i]) end return r end
return {u(struct.unpack('b', '\1\2\3', 2)), u(struct.unpack('bb', '\1\2\3', 2)),
        u(struct.unpack('', 'abc', 4)),
        u(struct.unpack('', 'abc', 10)), u(struct.unpack('', 'abc', -5)), u(struct.unpack('>h',
        '\0\1\0\2', 3)),
        u(struct.unpack('!4i', '\0\0\0\0\1\0\0\0', 2)), u(struct.unpack('b', '\9\8', 2.7))})lua",
    // ---- size.
    R"lua(return {struct.size(''), struct.size('b'), struct.size('bhlTfd'), struct.size('!bhlTfd'),
        struct.size('i3i5'),
        struct.size('!8bd'), struct.size('!4bd'), struct.size('c3'), struct.size('x'),
        struct.size('z'),
        struct.size('q9'), struct.size('I16'), struct.size('<>!2 bh'), struct.size('c10b')})lua",
    // ---- struct errors.
    R"lua(local function e(...) local ok, err = pcall(...)
  return tostring(ok) .. ' ' .. tostring(err) end
return {e(struct.pack, 'q'), e(struct.pack, '='), e(struct.pack, '!3'), e(struct.pack, '!0'),
        e(struct.pack, 'i33', 1),
        e(struct.pack, 'i99999999999', 1), e(struct.pack, 'i'), e(struct.pack, 'bi', 1),
        e(struct.pack, 'c5', 'ab'),
        e(struct.pack, 'bc5', 1, 'ab'), e(struct.pack, 'i', 'x'), e(struct.pack, 's'),
        e(struct.pack),
        e(struct.pack, {}), e(struct.pack, '\200'), e(struct.pack, '5')})lua",
    R"lua(local function e(...) local ok, err = pcall(...)
  return tostring(ok) .. ' ' .. tostring(err) end
return {e(struct.unpack, 'i', 'ab'), e(struct.unpack, 'b', 'a', 0), e(struct.unpack, 'c0', 'abc'),
        e(struct.unpack, 's', 'abc'), e(struct.unpack, 'bc0', '\255abc'), e(struct.unpack, 'xc0',
        'ab'),
        e(struct.unpack, 'b', 'ab', 3), e(struct.unpack, 'b', 'ab', -1), e(struct.unpack, 'q',
        'ab'),
        e(struct.unpack, 'b'), e(struct.unpack, 'b', 'a', 'x'), e(struct.unpack, '!5b', 'a'),
        e(struct.unpack, 'i40', 'a'),
        e(struct.unpack, 'd', '1234567'), e(struct.unpack, 'c9', 'abc')})lua",
    R"lua(local function e(...) local ok, err = pcall(...)
  return tostring(ok) .. ' ' .. tostring(err) end
return {e(struct.size, 's'), e(struct.size, 'bc0'), e(struct.size, '?'), e(struct.size, '!6'),
        e(struct.size, 'i50'),
        e(struct.size), e(function() return struct.size('s') end),
        e(function() return struct.pack('i33', 1) end),
        e(function() return struct.unpack('b', '') end), e(function() return struct.pack('c0', 1,
        2) end)})lua",
    // A missing argument meets Redis' nil marker ("got nil"), even after a long format.
    R"lua(local function e(...) local ok, err = pcall(...)
  return tostring(ok) .. ' ' .. tostring(err) end
return {e(struct.pack, string.rep('x', 9000) .. 'i'), e(struct.pack, string.rep('x',
        9000) .. 'c0c0', 'a'),
        e(struct.pack, 'bbb', 1, 2), e(struct.pack, 'd', nil), e(struct.pack, 'f', true)})lua",
    R"lua(local function e(...) local ok, err = pcall(...)
  return tostring(ok) .. ' ' .. tostring(err) end
return {e(struct.unpack, string.rep('b', 8000), string.rep('\1', 8000)),
        select('#', struct.unpack(string.rep('b', 3990), string.rep('\1', 3990))),
        e(struct.unpack, string.rep(' ', 8000), '')})lua",
    // A NUL ends the format; spaces are ignored.
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
return {hex(struct.pack('b\0b', 1, 2)), hex(struct.pack(' > h  < h ', 1, 2)), struct.size('i\0i'),
        select('#', struct.unpack('b\0b', '\1\2'))})lua",
    // Round trips of a record.
    R"lua(local fmt = '>!4 b I2 i s c3 d f l'
local p = struct.pack(fmt, -7, 513, -100000, 'name', 'xyz', 1.25, 0.5, -2^40)
local a, b, c, d, e, f, g, h, nextpos = struct.unpack(fmt, p)
return {#p, a, b, c, d, e, tostring(f), tostring(g), tostring(h), nextpos})lua",
    R"lua(local r = {}
for _, fmt in ipairs({'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I', 'i3', 'I7'}) do
  for _, order in ipairs({'<', '>'}) do
    local v = (fmt == fmt:lower()) and -100 or 100
    local back = struct.unpack(order .. fmt, struct.pack(order .. fmt, v))
    r[#r + 1] = order .. fmt .. '=' .. tostring(back)
  end
end
return r)lua",
    // ---- struct and cmsgpack together.
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
local rec = struct.pack('>I2s', 7, 'payload')
local p = cmsgpack.pack({rec, struct.size('>I2')})
local back = cmsgpack.unpack(p)
local n, s = struct.unpack('>I2s', back[1])
return {hex(p), n, s, back[2]})lua",
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
-- Hand-built msgpack with struct: uint 16 and str 8 headers.
local p = struct.pack('>BH', 0xcd, 4660) .. struct.pack('>BB', 0xd9, 3) .. 'abc'
local a, b = cmsgpack.unpack(p)
return {hex(p), a, b, hex(cmsgpack.pack(a, b))})lua",
    // ---- cjson (Debian's lua-cjson).
    R"lua(return {cjson.encode({1, 2, 3}), cjson.encode({a = {b = 'c'}}),
        cjson.encode('a/b"c\\\n\t'), cjson.encode(true),
        cjson.encode(cjson.null), cjson.encode({}), cjson.encode(12), cjson.encode(-0.5),
        cjson.encode({'x', {}, {1}})})lua",
    R"lua(local t = cjson.decode('[1, "a", true, null, {"x": 2}, [], {"y": [3, 4]}]')
return {t[1], t[2], tostring(t[3]), tostring(t[4] == cjson.null), t[5].x, #t[6], t[7].y[2],
        #t})lua",
    R"lua(local t = cjson.decode('{"n": 1.5, "s": "\\u00e9\\n\\/", ' ..
                       '"big": 12345678901, "neg": -3, "e": 1e3}')
return {tostring(t.n), t.s, tostring(t.big), t.neg, t.e, cjson.decode('"plain"'),
        cjson.decode('42')})lua",
    R"lua(local function e(...) local ok, err = pcall(...)
  return tostring(ok) .. ' ' .. tostring(err) end
return {e(cjson.decode, '{"a": 1'), e(cjson.decode, '[1, 2'), e(cjson.encode, function() end),
        e(cjson.decode, 'nul'),
        e(cjson.encode, {[1] = 1, [5] = 5, [20] = 1}), e(cjson.encode, 1/0), e(cjson.decode,
        '[1,]'), e(cjson.decode),
        e(cjson.encode, {[true] = 1}), e(cjson.decode, '"\\ud800"'),
        cjson.encode(cjson.decode('{"k":"v"}'))})lua",
    R"lua(local function e(...) local ok, err = pcall(...)
  return tostring(ok) .. ' ' .. tostring(err) end
local t = {}
local c = t
for i = 1, 1100 do c[1] = {} c = c[1] end
return {e(cjson.decode, string.rep('[', 1100) .. string.rep(']', 1100)), e(cjson.encode, t),
        cjson.encode({[1] = 1, [3] = 3}), cjson.encode(2^53), cjson.encode(1/3), cjson.encode({1.5,
        123456789012345}),
        cjson.encode('\127\128\255\0'), cjson.encode({[1.5] = 1}), cjson._NAME,
        cjson._VERSION})lua",
    // ---- bit (Debian's lua-bitop).
    R"lua(return {bit.band(0xff, 0x0f), bit.bor(0xf0, 0x0f), bit.bxor(0xff, 0x0f), bit.bnot(0),
        bit.lshift(1, 31),
        bit.rshift(-1, 28), bit.arshift(-256, 4), bit.rol(0x12345678, 8), bit.ror(0x12345678,
        8)})lua",
    R"lua(local function e(...) local ok, err = pcall(...)
  return tostring(ok) .. ' ' .. tostring(err) end
return {e(bit.band), e(bit.tohex, 'x'), e(bit.band, 1, {}), e(function() return bit.bor(1,
        'z') end),
        bit.tobit(2^53 + 7), bit.band('12', 10)})lua",
    R"lua(return {bit.tohex(255), bit.tohex(-1), bit.tohex(255, -4), bit.tohex(0x12345678, 2),
        bit.tobit(2^32 + 5),
        bit.bswap(0x12345678), bit.band(-1, 2^31), bit.bor(1, 2, 4, 8), bit.tobit(-1)})lua",
    R"lua(local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end
-- The libraries together: a bitfield packed with struct, shipped through msgpack and JSON.
local flags = bit.bor(bit.lshift(1, 4), 3)
local rec = struct.pack('<IB', flags, 9)
local json = cjson.encode({hex(rec), flags})
local back = cjson.decode(json)
return {json, hex(cmsgpack.pack(back)), bit.band(struct.unpack('<I', rec), 0xf)})lua",
};

}  // namespace respite::storage::testing
