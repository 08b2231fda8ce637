-- One step of a rate budget shared by processes, run atomically by Redis: report answers
-- and 429s, then reserve turns. A line-for-line port of SharedRate.take
-- (conversation_async/_core/shared_rate.py) and the AdaptiveRate, RateMeter and throttled
-- code it runs (_core/rate.py); tests hold the two to the same answers.
--
-- KEYS[1]  the budget: a hash of the state, as text (see AdaptiveRate.saved, RateMeter.saved)
-- ARGV     wanted, accepted, refused, now ('' = the server's TIME; tests pass one), then the
--          settings: ceiling, floor, decrease, increase, min_increase, probe, headroom,
--          sporadic, cooldown, memory, recall, regain_below, regain, overshoot, horizon,
--          min_evidence, ttl (seconds the budget is kept after its last step), then,
--          optionally, peer (this limiter's id) and peer_window (seconds)
-- returns  {turns, offset, interval, limit} as text (see Grant), then, with a peer, how
--          many limiters stepped within peer_window seconds (this one included): each
--          keeps a field 'peer:<id>' = its last step's time, so a process that loses Redis
--          knows what share of the budget to fall back to

local key = KEYS[1]
local wanted = tonumber(ARGV[1])
local accepted_answers = tonumber(ARGV[2])
local refused = tonumber(ARGV[3])
local now
if ARGV[4] == '' then
  local time = redis.call('TIME')
  now = tonumber(time[1]) + tonumber(time[2]) / 1000000
else
  now = tonumber(ARGV[4])
end
local ceiling = tonumber(ARGV[5])
local floor = tonumber(ARGV[6])
local decrease = tonumber(ARGV[7])
local increase = tonumber(ARGV[8])
local min_increase = tonumber(ARGV[9])
local probe = tonumber(ARGV[10])
local headroom = tonumber(ARGV[11])
local sporadic = tonumber(ARGV[12])
local cooldown = tonumber(ARGV[13])
local memory = tonumber(ARGV[14])
local recall = tonumber(ARGV[15])
local regain_below = tonumber(ARGV[16])
local regain = tonumber(ARGV[17])
local overshoot = tonumber(ARGV[18])
local horizon = tonumber(ARGV[19])
local min_evidence = tonumber(ARGV[20])
local ttl = tonumber(ARGV[21])
local peer = ARGV[22] or ''
local peer_window = tonumber(ARGV[23] or '0')

local inf = math.huge
local saved = {}
local flat = redis.call('HGETALL', key)
for i = 1, #flat, 2 do
  saved[flat[i]] = flat[i + 1]
end
local function number(name, default)
  local value = saved[name]
  if value == nil then
    return default
  end
  return tonumber(value)
end
local function text(value)
  return string.format('%.17g', value)
end

-- AdaptiveRate, restored
local a = {
  limit = number('limit', ceiling),
  step = number('step', math.max(ceiling * increase, min_increase)),
  accepted = number('accepted', inf),
  updated = number('updated', 0.0),
  throttled_at = number('throttled_at', -inf),
  bests = {},
  regain_to = number('regain_to', 0.0),
  answered = saved['answered'] == '1',
  regained = number('regained', 0),
  regain_refused = number('regain_refused', 0),
}
do
  local pending
  for word in string.gmatch(saved['bests'] or '', '%S+') do
    if pending == nil then
      pending = tonumber(word)
    else
      table.insert(a.bests, {pending, tonumber(word)})
      pending = nil
    end
  end
end

local function grow(limit, seconds)
  if seconds <= 0 or a.step <= 0 then
    return limit
  end
  local fast_for = math.min(seconds, math.max(0.0, a.accepted - limit) / a.step)
  return limit + a.step * (fast_for + probe * (seconds - fast_for))
end

local function current(at)
  local limit = a.limit
  local forget_at = a.throttled_at + memory
  if a.accepted < inf and at > forget_at then
    limit = grow(limit, forget_at - a.updated)
    a.updated = math.max(a.updated, forget_at)
    a.accepted = inf
  end
  limit = grow(limit, at - a.updated)
  a.limit = math.min(ceiling, limit)
  a.updated = at
  return a.limit
end

local function on_accepted()
  local target = a.regain_to
  if target ~= 0 then
    a.regained = a.regained + 1
    local limit = a.limit
    if limit < target then
      limit = limit + regain
      if limit >= target then
        limit = target
        a.accepted = math.max(a.accepted, target)
        a.step = math.max(target * increase, min_increase)
      end
      a.limit = limit
    end
  end
end

local function remember(at, rate)
  local bests = a.bests
  while #bests > 0 and bests[#bests][2] <= rate do
    table.remove(bests)
  end
  table.insert(bests, {at, rate})
  while bests[1][1] < at - recall do
    table.remove(bests, 1)
  end
  return bests[1][2]
end

local function start_regain(best)
  if a.regain_to == 0 then
    a.answered = false
  end
  a.regain_to = best
end

local function end_regain()
  a.regain_to = 0.0
  a.answered = false
end

local function on_throttled(at, observed, share, accepted)
  if a.regain_to ~= 0 then
    a.regain_refused = a.regain_refused + 1
  end
  local now_limit = current(at)
  if at - a.throttled_at < cooldown then
    return now_limit
  end
  share = math.min(1.0, math.max(0.0, share))
  local base = now_limit
  local got = observed * (1.0 - share) * (1.0 - headroom)
  local seen = accepted * (1.0 - headroom)
  local best = remember(at, seen)
  local limit = base * math.max(decrease, 1.0 - 2.0 * share)
  if a.regain_to ~= 0 and a.regained ~= 0 then
    local refusals = a.regain_refused
    local trial = not a.answered
    local regain_share = 0.0
    if not trial then
      regain_share = refusals / (refusals + a.regained)
    end
    a.answered = true
    if regain_share < overshoot then
      limit = base * math.max(decrease, 1.0 - 2.0 * regain_share)
      share = 0.0
      if base >= a.regain_to and not trial then
        end_regain()
      end
    else
      a.bests = {}
      best = remember(at, seen)
      end_regain()
    end
  end
  if share >= sporadic then
    limit = math.min(limit, got)
    a.accepted = math.max(floor, limit, got)
    if limit < regain_below * best then
      start_regain(best)
    else
      end_regain()
    end
  end
  a.limit = math.max(floor, limit)
  a.step = math.max(base * increase, min_increase)
  a.updated = at
  a.throttled_at = at
  a.regained = 0
  a.regain_refused = 0
  return a.limit
end

-- RateMeter, restored: requests with their accepted answers ('m_'), and 429s ('t_')
local function meter(prefix)
  return {
    prefix = prefix,
    first = number(prefix .. 'first', nil),
    start = number(prefix .. 'start', 0.0),
    current = number(prefix .. 'current', 0),
    previous = number(prefix .. 'previous', 0),
    current_marked = number(prefix .. 'current_marked', 0),
    previous_marked = number(prefix .. 'previous_marked', 0),
  }
end
local requests = meter('m_')
local refusals = meter('t_')
local window = 1.0

local function roll(m, at)
  if at - m.start < window then
    return
  end
  local periods = math.floor((at - m.start) / window)
  if periods == 1 then
    m.previous = m.current
    m.previous_marked = m.current_marked
  else
    m.previous = 0
    m.previous_marked = 0
  end
  m.current = 0
  m.current_marked = 0
  m.start = m.start + periods * window
end

local function record(m, at, count)
  if m.first == nil then
    m.first = at
    m.start = at
  elseif at - m.start >= window then
    roll(m, at)
  end
  m.current = m.current + count
end

local function count(m, at)
  if m.first == nil then
    return 0.0
  end
  roll(m, at)
  local elapsed = (at - m.start) / window
  return m.previous * (1.0 - elapsed) + m.current
end

local function span(m, at)
  return math.min(window, math.max(at - m.first, 0.05 * window))
end

local function rate(m, at)
  if m.first == nil then
    return 0.0
  end
  return count(m, at) / span(m, at)
end

local function marked_rate(m, at)
  if m.first == nil then
    return 0.0
  end
  roll(m, at)
  local elapsed = (at - m.start) / window
  local marked = m.previous_marked * (1.0 - elapsed) + m.current_marked
  return marked / span(m, at)
end

local function throttled(at)
  record(refusals, at, 1)
  local sent = count(requests, at)
  if sent < min_evidence then
    return current(at)
  end
  local share = count(refusals, at) / math.max(sent, 1.0)
  local accepted = 0.0
  if requests.first ~= nil and at - requests.first >= window then
    accepted = marked_rate(requests, at)
  end
  return on_throttled(at, rate(requests, at), share, accepted)
end

-- the step
for _ = 1, accepted_answers do
  requests.current_marked = requests.current_marked + 1
  on_accepted()
end
for _ = 1, refused do
  throttled(now)
end
local limit = current(now)
local interval = 1.0 / limit
local burst = 1.0 + limit / 20.0
local tat = math.max(number('tat', now), now)
local tolerance = (burst - 1.0) * interval
local offset = tat - tolerance - now
local turns = 0
while turns < wanted and tat - tolerance - now <= horizon do
  tat = tat + interval
  turns = turns + 1
end
if turns == 0 then
  offset = offset - horizon
end
if turns > 0 then
  record(requests, now, turns)
end

-- saved back, as AdaptiveRate.saved and RateMeter.saved write it
local fields = {}
local function put(name, value)
  table.insert(fields, name)
  table.insert(fields, value)
end
local best_words = {}
for _, pair in ipairs(a.bests) do
  table.insert(best_words, text(pair[1]))
  table.insert(best_words, text(pair[2]))
end
put('step', text(a.step))
put('updated', text(a.updated))
put('bests', table.concat(best_words, ' '))
put('regain_to', text(a.regain_to))
put('answered', a.answered and '1' or '0')
put('regained', text(a.regained))
put('regain_refused', text(a.regain_refused))
put('limit', text(a.limit))
if a.accepted < inf then
  put('accepted', text(a.accepted))
end
if a.throttled_at > -inf then
  put('throttled_at', text(a.throttled_at))
end
for _, m in ipairs({requests, refusals}) do
  put(m.prefix .. 'start', text(m.start))
  put(m.prefix .. 'current', text(m.current))
  put(m.prefix .. 'previous', text(m.previous))
  put(m.prefix .. 'current_marked', text(m.current_marked))
  put(m.prefix .. 'previous_marked', text(m.previous_marked))
  if m.first ~= nil then
    put(m.prefix .. 'first', text(m.first))
  end
end
put('tat', text(tat))
local answer = {tostring(turns), text(offset), text(interval), text(limit)}
if peer ~= '' then
  local peers = 1
  put('peer:' .. peer, text(now))
  for name, value in pairs(saved) do
    if string.sub(name, 1, 5) == 'peer:' and name ~= 'peer:' .. peer
        and tonumber(value) >= now - peer_window then
      put(name, value)
      peers = peers + 1
    end
  end
  table.insert(answer, tostring(peers))
end
redis.call('DEL', key)
redis.call('HSET', key, unpack(fields))
redis.call('EXPIRE', key, ttl)
return answer
