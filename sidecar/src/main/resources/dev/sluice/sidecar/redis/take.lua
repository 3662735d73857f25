-- Sluice: one atomic take on the limits of one key (one hash, so one Cluster slot).
-- KEYS[1]  the key's hash; field names end with the limit's index
-- ARGV[1]  algorithm: 0 token bucket (GCRA), 1 sliding window, 2 fixed window
-- ARGV[2]  now, microseconds since the epoch (the sidecar's clock)
-- ARGV[3]  units to give back first (refund, or an expired lease)
-- ARGV[4]  min: take nothing unless at least this many fit in every limit
-- ARGV[5]  max: take at most this many
-- ARGV[6]  n, the number of limits; then three arguments per limit:
--          GCRA:    emission interval (us per unit), capacity, unused
--          sliding: period (us), limit, start of the current window (us)
--          fixed:   end of the current window (us), limit, start of the current window (us)
-- Returns {granted, then per limit: remaining, us until full again, us until min fits (0: fits now)}.
local key = KEYS[1]
local alg = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local give = tonumber(ARGV[3])
local min = tonumber(ARGV[4])
local max = tonumber(ARGV[5])
local n = tonumber(ARGV[6])

local a, b, c, s1, s2, s3, avail = {}, {}, {}, {}, {}, {}, {}
local grant = max
for i = 1, n do
  a[i] = tonumber(ARGV[4 + 3 * i])
  b[i] = tonumber(ARGV[5 + 3 * i])
  c[i] = tonumber(ARGV[6 + 3 * i])
  local v = redis.call('HMGET', key, 'x' .. i, 'y' .. i, 'z' .. i)
  if alg == 0 then
    local interval, capacity = a[i], b[i]
    local tat = tonumber(v[1]) or now
    if tat < now then tat = now end
    tat = tat - give * interval
    if tat < now then tat = now end
    s1[i] = tat
    avail[i] = math.floor((capacity * interval - (tat - now)) / interval + 1e-9)
  elseif alg == 1 then
    local period, limit, start = a[i], b[i], c[i]
    local wstart = tonumber(v[1]) or start
    local cur = tonumber(v[2]) or 0
    local prev = tonumber(v[3]) or 0
    -- A sidecar whose clock is behind counts in the newest window rather than moving the key back.
    if wstart > start then start = wstart; c[i] = start end
    if wstart ~= start then
      if start - wstart == period then prev = cur else prev = 0 end
      cur = 0
    end
    cur = cur - give
    if cur < 0 then cur = 0 end
    s1[i], s2[i], s3[i] = start, cur, prev
    local elapsed = now - start
    if elapsed < 0 then elapsed = 0 end
    local estimate = prev * (1 - elapsed / period) + cur
    avail[i] = math.floor(limit - estimate + 1e-9)
  else
    local wend, limit = a[i], b[i]
    local stored = tonumber(v[1])
    if stored and stored > wend then wend = stored; a[i] = wend end
    local count = 0
    if stored == wend then count = tonumber(v[2]) or 0 end
    count = count - give
    if count < 0 then count = 0 end
    s1[i], s2[i] = wend, count
    avail[i] = limit - count
  end
  if avail[i] < grant then grant = avail[i] end
end
if grant < min then grant = 0 end

local result = {grant}
local ttl = 1000
for i = 1, n do
  local remaining, full, wait
  if alg == 0 then
    local interval, capacity = a[i], b[i]
    local tat = s1[i] + grant * interval
    redis.call('HSET', key, 'x' .. i, string.format('%.0f', tat))
    remaining = avail[i] - grant
    full = tat - now
    wait = tat - now - (capacity - min) * interval
    if wait < 0 or remaining >= min then wait = 0 end
    if full + 1000 > ttl then ttl = full + 1000 end
  elseif alg == 1 then
    local period, limit, start = a[i], b[i], c[i]
    local cur, prev = s2[i] + grant, s3[i]
    redis.call('HSET', key, 'x' .. i, string.format('%.0f', start), 'y' .. i, cur, 'z' .. i, prev)
    local elapsed = now - start
    if elapsed < 0 then elapsed = 0 end
    remaining = math.floor(limit - (prev * (1 - elapsed / period) + cur) + 1e-9)
    if cur == 0 and prev == 0 then full = 0 elseif cur == 0 then full = period - elapsed else full = 2 * period - elapsed end
    wait = 0
    if remaining < min then
      local room = limit - min - cur
      if room >= 0 and prev > 0 then
        wait = period * (1 - room / prev) - elapsed
        if wait < 1 then wait = 1 end
      else
        local roomNext = limit - min
        wait = period - elapsed
        if cur > 0 and roomNext < cur then wait = wait + period * (1 - roomNext / cur) end
      end
    end
    if 2 * period > ttl then ttl = 2 * period end
  else
    local wend, limit = a[i], b[i]
    local count = s2[i] + grant
    redis.call('HSET', key, 'x' .. i, string.format('%.0f', wend), 'y' .. i, count)
    remaining = limit - count
    full = wend - now
    if remaining >= min then wait = 0 else wait = wend - now end
    if wend - now > ttl then ttl = wend - now end
  end
  if remaining < 0 then remaining = 0 end
  result[#result + 1] = remaining
  result[#result + 1] = math.ceil(full)
  result[#result + 1] = math.ceil(wait)
end
redis.call('PEXPIRE', key, math.ceil(ttl / 1000) + 1000)
return result
