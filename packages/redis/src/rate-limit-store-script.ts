/**
 * One atomic take (or pause) in Redis, timed by Redis's own clock (`TIME`), so that every process
 * and machine agrees on windows and refills whatever its own clock says. Scripts replicate by effect
 * (Redis ≥ 5), so reading `TIME` is safe on replicas and in AOF.
 *
 * KEYS[1] the policy's state, KEYS[2] the key's pause (both share a hash tag: one cluster slot).
 * ARGV[1] 'token-bucket' | 'sliding-window' | 'fixed-window' | 'pause'
 * ARGV[2], ARGV[3] tokens per second and burst; or limit and window in ms; or the pause in ms
 * ARGV[4] the cost
 * Returns { granted (0 or 1), wait in ms (-1: never), permits remaining }.
 */
export const RATE_LIMIT_SCRIPT = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local kind = ARGV[1]
local a = tonumber(ARGV[2])
if kind == 'pause' then
  if redis.call('PTTL', KEYS[2]) < a then redis.call('SET', KEYS[2], '1', 'PX', a) end
  return {1, 0, 0}
end
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return {0, paused, 0} end
local b = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
if kind == 'token-bucket' then
  local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
  local tokens = tonumber(state[1]) or b
  local at = tonumber(state[2]) or now
  tokens = math.min(b, tokens + math.max(0, now - at) * a / 1000)
  -- Refills must not leave 0.9999999 tokens after the exact wait this script named.
  if tokens + 1e-9 < cost then
    if cost > b then return {0, -1, 0} end
    return {0, math.ceil((cost - tokens) * 1000 / a), 0}
  end
  tokens = math.max(0, tokens - cost)
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', math.max(at, now))
  redis.call('PEXPIRE', KEYS[1], math.ceil((b - tokens) * 1000 / a) + 1)
  return {1, 0, math.floor(tokens + 1e-9)}
end
if kind == 'fixed-window' then
  -- Windows aligned to the epoch: every process agrees where one starts.
  local start = now - now % b
  local state = redis.call('HMGET', KEYS[1], 'start', 'used')
  local used = 0
  if tonumber(state[1]) == start then used = tonumber(state[2]) end
  if used + cost > a then
    if cost > a then return {0, -1, 0} end
    return {0, start + b - now, 0}
  end
  redis.call('HSET', KEYS[1], 'start', start, 'used', used + cost)
  redis.call('PEXPIRE', KEYS[1], start + b - now)
  return {1, 0, a - used - cost}
end
-- sliding-window: a log of grant times in a sorted set.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - b)
local used = redis.call('ZCARD', KEYS[1])
if used + cost > a then
  if cost > a then return {0, -1, 0} end
  -- Enough grants must leave the window: the oldest that has to go sets the wait.
  local oldest = redis.call('ZRANGE', KEYS[1], used + cost - a - 1, used + cost - a - 1, 'WITHSCORES')
  return {0, tonumber(oldest[2]) + b - now, 0}
end
for index = 1, cost do redis.call('ZADD', KEYS[1], now, now .. ':' .. clock[2] .. ':' .. (used + index)) end
redis.call('PEXPIRE', KEYS[1], b)
return {1, 0, a - used - cost}
`;
