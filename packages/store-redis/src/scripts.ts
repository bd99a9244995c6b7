/**
 * The Lua scripts that make each Store write atomic: Redis runs a script without interleaving
 * other commands, which is what the SQLite driver gets from a transaction.
 *
 * Key layout under the prefix P (keys are built inside the scripts, so the store needs one
 * Redis primary, not Redis Cluster):
 *   P seq             message sequence counter (INCR: never reused)
 *   P r:<id>          registration hash { owner, createdAt, expiresAt?, data }
 *   P o:<owner>       set of registration ids      P rexp   registrations by expiry
 *   P rall            every registration id, for counting (ids written before it existed are
 *                     missing from it until they are written again)
 *   P m:<id>          message hash (MESSAGE_FIELDS)
 *   P qo:<owner>, P qr:<registration>, P qa
 *                     queued message ids scored by seq: per owner, per registration, all
 *   P t:<registration> topic -> queued message id  P mexp   messages by expiry
 *   P s:<key>         seen-id expiry               P sexp   seen ids by expiry
 *   P d:<namespace>   record hash: id -> JSON {"v": value, "e": expiresAt?}
 *   P dx:<namespace>  that namespace's expiring record ids, scored by expiry
 *   P dexp            every expiring record, scored by expiry, as the member
 *                     <bytes in namespace>:<namespace><id>, so a purge finds both halves
 */

/** The order in which scripts return a message's fields. */
export const MESSAGE_FIELDS = ['id', 'seq', 'rid', 'owner', 'payload', 'ttl', 'urg', 'topic', 'sent', 'exp'] as const;

const REMOVE_MESSAGE = `
local function remove_message(P, id)
  local f = redis.call('HMGET', P .. 'm:' .. id, 'rid', 'owner', 'topic')
  if not f[1] then return 0 end
  redis.call('DEL', P .. 'm:' .. id)
  redis.call('ZREM', P .. 'qr:' .. f[1], id)
  redis.call('ZREM', P .. 'qo:' .. f[2], id)
  redis.call('ZREM', P .. 'qa', id)
  redis.call('ZREM', P .. 'mexp', id)
  if f[3] and f[3] ~= '' and redis.call('HGET', P .. 't:' .. f[1], f[3]) == id then
    redis.call('HDEL', P .. 't:' .. f[1], f[3])
  end
  return 1
end
`;

const FIELDS = `
local FIELDS = {${MESSAGE_FIELDS.map((field) => `'${field}'`).join(', ')}}
`;

const DELETE_REGISTRATION = `
local function delete_registration(P, id)
  local owner = redis.call('HGET', P .. 'r:' .. id, 'owner')
  if not owner then return 0 end
  for _, messageId in ipairs(redis.call('ZRANGE', P .. 'qr:' .. id, 0, -1)) do remove_message(P, messageId) end
  redis.call('DEL', P .. 'r:' .. id, P .. 'qr:' .. id, P .. 't:' .. id)
  redis.call('SREM', P .. 'o:' .. owner, id)
  redis.call('ZREM', P .. 'rexp', id)
  redis.call('SREM', P .. 'rall', id)
  return 1
end
`;

const ENQUEUE_MESSAGE = `
local function enqueue_message(P, rid, now, id, payload, ttl, urgency, topic, sent, expiry)
  now = tonumber(now)
  local reg = redis.call('HMGET', P .. 'r:' .. rid, 'owner', 'expiresAt')
  if not reg[1] or (reg[2] and tonumber(reg[2]) <= now) then return {'NOT_FOUND'} end
  local owner = reg[1]
  local key = P .. 'm:' .. id
  if redis.call('EXISTS', key) == 1 then
    local result = {'EXISTS'}
    for _, value in ipairs(redis.call('HMGET', key, unpack(FIELDS))) do table.insert(result, value or '') end
    return result
  end
  local replaced = ''
  if topic ~= '' then
    local previous = redis.call('HGET', P .. 't:' .. rid, topic)
    if previous then
      remove_message(P, previous)
      replaced = previous
    end
    redis.call('HSET', P .. 't:' .. rid, topic, id)
  end
  local seq = redis.call('INCR', P .. 'seq')
  redis.call('HSET', key, 'id', id, 'seq', seq, 'rid', rid, 'owner', owner, 'payload', payload, 'ttl', ttl,
    'urg', urgency, 'topic', topic, 'sent', sent, 'exp', expiry)
  redis.call('ZADD', P .. 'qo:' .. owner, seq, id)
  redis.call('ZADD', P .. 'qr:' .. rid, seq, id)
  redis.call('ZADD', P .. 'qa', seq, id)
  redis.call('ZADD', P .. 'mexp', expiry, id)
  return {'CREATED', replaced, seq, owner}
end
`;

const SEEN = `
local function is_seen(P, key, now)
  local known = redis.call('GET', P .. 's:' .. key)
  return known and tonumber(known) > now
end
local function mark_seen(P, key, expiry)
  redis.call('SET', P .. 's:' .. key, expiry)
  redis.call('ZADD', P .. 'sexp', expiry, key)
end
`;

const RECORD_MEMBER = `
local function record_member(namespace, id) return #namespace .. ':' .. namespace .. id end
`;

export const SCRIPTS = {
  /** ARGV: P, id, owner, createdAt, expiresAt ('' = never), data JSON. */
  putRegistration: `
local P, id, owner = ARGV[1], ARGV[2], ARGV[3]
local key = P .. 'r:' .. id
local previous = redis.call('HGET', key, 'owner')
if previous and previous ~= owner then redis.call('SREM', P .. 'o:' .. previous, id) end
redis.call('DEL', key)
redis.call('HSET', key, 'owner', owner, 'createdAt', ARGV[4], 'data', ARGV[6])
redis.call('SADD', P .. 'o:' .. owner, id)
redis.call('SADD', P .. 'rall', id)
if ARGV[5] ~= '' then
  redis.call('HSET', key, 'expiresAt', ARGV[5])
  redis.call('ZADD', P .. 'rexp', ARGV[5], id)
else
  redis.call('ZREM', P .. 'rexp', id)
end
return 1`,

  /**
   * ARGV: P, owner, before, limit. Ids of the owner's registrations that expire at or before
   * `before` (expired ones not yet purged included), soonest first.
   */
  listExpiring: `
local P, owner, before, limit = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local out, offset, batch = {}, 0, 500
while #out < limit do
  local page = redis.call('ZRANGEBYSCORE', P .. 'rexp', '-inf', before, 'LIMIT', offset, batch)
  for _, id in ipairs(page) do
    if redis.call('HGET', P .. 'r:' .. id, 'owner') == owner then
      table.insert(out, id)
      if #out >= limit then break end
    end
  end
  if #page < batch then break end
  offset = offset + batch
end
return out`,

  /** ARGV: P, id. Returns 1 when it existed. */
  deleteRegistration: `${REMOVE_MESSAGE}${DELETE_REGISTRATION}
return delete_registration(ARGV[1], ARGV[2])`,

  /**
   * ARGV: P, registrationId, now, id, payload, ttl, urgency, topic ('' = none), sentAt, expiresAt.
   * Returns {'NOT_FOUND'}, {'EXISTS', fields...} or {'CREATED', replacedId or '', seq, owner}:
   * the caller has the rest, so the payload does not travel back.
   */
  enqueue: `${REMOVE_MESSAGE}${FIELDS}${ENQUEUE_MESSAGE}
return enqueue_message(unpack(ARGV, 1, 10))`,

  /**
   * ARGV: enqueue's, then the seen key and its expiresAt. Returns {'SEEN'} when the key is marked,
   * having changed nothing, else enqueue's reply; marks the key when the message is then queued
   * for the registration, after every other write, so nothing is marked when the enqueue refuses.
   */
  enqueueUnseen: `${REMOVE_MESSAGE}${FIELDS}${ENQUEUE_MESSAGE}${SEEN}
local P, rid, now, key, expiry = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[11], ARGV[12]
if is_seen(P, key, now) then return {'SEEN'} end
local result = enqueue_message(unpack(ARGV, 1, 10))
-- EXISTS is followed by FIELDS: id, seq, rid...
if result[1] == 'CREATED' or (result[1] == 'EXISTS' and result[4] == rid) then mark_seen(P, key, expiry) end
return result`,

  /**
   * ARGV: P, index key suffix, afterSeq, now, limit, owner filter ('' = any).
   * Returns the live messages' fields, flattened, in seq order.
   */
  listMessages: `${FIELDS}
local P, index, after, now, limit, owner = ARGV[1], ARGV[1] .. ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local out, found, cursor, batch = {}, 0, '(' .. after, 200
while found < limit do
  local page = redis.call('ZRANGEBYSCORE', index, cursor, '+inf', 'WITHSCORES', 'LIMIT', 0, batch)
  for i = 1, #page, 2 do
    local f = redis.call('HMGET', P .. 'm:' .. page[i], unpack(FIELDS))
    if f[1] and tonumber(f[10]) > now and (owner == '' or f[4] == owner) then
      for _, value in ipairs(f) do table.insert(out, value) end
      found = found + 1
      if found >= limit then break end
    end
    cursor = '(' .. page[i + 1]
  end
  if #page < batch * 2 then break end
end
return out`,

  /** ARGV: P, id. Returns 1 when the message was queued. */
  ack: `${REMOVE_MESSAGE}
return remove_message(ARGV[1], ARGV[2])`,

  /** ARGV: P, key, expiresAt, now. Returns 1 the first time, 0 for a replay. */
  markSeen: `${SEEN}
local P, key, expiry, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
if is_seen(P, key, now) then return 0 end
mark_seen(P, key, expiry)
return 1`,

  /** ARGV: P, namespace, id, JSON, expiresAt ('' = never). */
  putRecord: `${RECORD_MEMBER}
local P, namespace, id, expiry = ARGV[1], ARGV[2], ARGV[3], ARGV[5]
redis.call('HSET', P .. 'd:' .. namespace, id, ARGV[4])
if expiry ~= '' then
  redis.call('ZADD', P .. 'dx:' .. namespace, expiry, id)
  redis.call('ZADD', P .. 'dexp', expiry, record_member(namespace, id))
else
  redis.call('ZREM', P .. 'dx:' .. namespace, id)
  redis.call('ZREM', P .. 'dexp', record_member(namespace, id))
end
return 1`,

  /** ARGV: P, namespace, id. Returns 1 when it existed. */
  deleteRecord: `${RECORD_MEMBER}
local P, namespace, id = ARGV[1], ARGV[2], ARGV[3]
redis.call('ZREM', P .. 'dx:' .. namespace, id)
redis.call('ZREM', P .. 'dexp', record_member(namespace, id))
return redis.call('HDEL', P .. 'd:' .. namespace, id)`,

  /**
   * ARGV: P, now, batch. Removes up to `batch` expired items of each kind; returns
   * {expired messages, items left to purge (0 when done)}. Short runs keep Redis responsive.
   */
  purgeExpired: `${REMOVE_MESSAGE}${DELETE_REGISTRATION}
local P, now, batch = ARGV[1], ARGV[2], tonumber(ARGV[3])
local expired = 0
local messages = redis.call('ZRANGEBYSCORE', P .. 'mexp', '-inf', now, 'LIMIT', 0, batch)
for _, id in ipairs(messages) do expired = expired + remove_message(P, id) end
local registrations = redis.call('ZRANGEBYSCORE', P .. 'rexp', '-inf', now, 'LIMIT', 0, batch)
for _, id in ipairs(registrations) do delete_registration(P, id) end
local seen = redis.call('ZRANGEBYSCORE', P .. 'sexp', '-inf', now, 'LIMIT', 0, batch)
for _, key in ipairs(seen) do
  redis.call('DEL', P .. 's:' .. key)
  redis.call('ZREM', P .. 'sexp', key)
end
local records = redis.call('ZRANGEBYSCORE', P .. 'dexp', '-inf', now, 'LIMIT', 0, batch)
for _, member in ipairs(records) do
  local colon = string.find(member, ':', 1, true)
  local length = tonumber(string.sub(member, 1, colon - 1))
  local namespace, id = string.sub(member, colon + 1, colon + length), string.sub(member, colon + length + 1)
  redis.call('HDEL', P .. 'd:' .. namespace, id)
  redis.call('ZREM', P .. 'dx:' .. namespace, id)
  redis.call('ZREM', P .. 'dexp', member)
end
local more = (#messages == batch or #registrations == batch or #seen == batch or #records == batch) and 1 or 0
return {expired, more}`,
} as const;

export type ScriptName = keyof typeof SCRIPTS;
