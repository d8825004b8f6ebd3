package mailproxy.route;

/**
 * The Lua scripts of {@link RedisAssignments}: every change of a user's assignment is one
 * script, so Redis runs it atomically and two proxies cannot both win a race (README,
 * "Several proxies").
 *
 * <p>A user's assignment is a hash at {@code PREFIX affinity:POOL:USER} (the pool's ':'
 * escaped, {@link RedisAffinity#userKey}): {@code s} the server id, {@code a} = 1 once a
 * backend accepted a login of the user, and one field {@code c:ID} per proxy with that
 * proxy's whole count of the user's open sessions (an absolute number, never a delta:
 * writing it again is harmless, and a write lost to a Redis outage is mended by the next). A
 * count is live only while its proxy's lease {@code PREFIX affinity-alive:ID} exists
 * (renewed every third of state.instance-lease, docs/ARCHITECTURE.md, "The guard"); a dead
 * proxy's field is dropped by the first script that reads it. While live counts remain the
 * hash has no expiry; when the last ends it lives affinity-ttl (accepted) or is deleted
 * (never accepted: a guessed name leaves nothing).
 *
 * <p>Every script: KEYS[1] the user's hash; ARGV[1] this proxy's id, ARGV[2] the lease
 * key prefix, ARGV[3] the lease in ms; further ARGV per script.
 */
final class AffinityScripts {
    private AffinityScripts() {}

    /** live(skipMe): the sum of live counts, dropping dead proxies' fields; renews this proxy's lease. */
    private static final String COMMON = """
            local me, alive = ARGV[1], ARGV[2]
            redis.call('SET', alive .. me, '1', 'PX', ARGV[3])
            local function live(skipMe)
              local total = 0
              local f = redis.call('HGETALL', KEYS[1])
              for i = 1, #f, 2 do
                local k = f[i]
                if string.sub(k, 1, 2) == 'c:' then
                  local who = string.sub(k, 3)
                  if who == me then
                    if not skipMe then total = total + tonumber(f[i + 1]) end
                  elseif redis.call('EXISTS', alive .. who) == 1 then
                    total = total + tonumber(f[i + 1])
                  else
                    redis.call('HDEL', KEYS[1], k)
                  end
                end
              end
              return total
            end
            local function idle(ttl)
              if redis.call('HGET', KEYS[1], 'a') == '1' and tonumber(ttl) > 0 then
                redis.call('PEXPIRE', KEYS[1], ttl)
              else
                redis.call('DEL', KEYS[1])
              end
            end
            """;

    /**
     * A session opens. ARGV[4] the server, ARGV[5] this proxy's count on it with this
     * session. Returns {1, previous server or ''} when taken (a previous other server had
     * no live session: given up), or {0, server} when the user's live sessions are on
     * another server: nothing taken.
     */
    static final String OPEN = COMMON + """
            local server = ARGV[4]
            local cur = redis.call('HGET', KEYS[1], 's')
            if cur and cur ~= server then
              if live(false) > 0 then return {0, cur} end
              redis.call('DEL', KEYS[1])
            end
            redis.call('HSET', KEYS[1], 's', server, 'c:' .. me, ARGV[5])
            redis.call('PERSIST', KEYS[1])
            return {1, cur or ''}
            """;

    /**
     * Writes this proxy's count of the user's sessions on a server (a session ended, a
     * login was accepted, or a re-synchronisation after an outage). ARGV[4] the server,
     * ARGV[5] the count, ARGV[6] '1' if accepted, ARGV[7] affinity-ttl in ms, ARGV[8]
     * 'sync' to create or take over the assignment (else a key gone or on another server
     * 'sync' to create the assignment when it is gone (else a key gone or on another server
     * is left alone: it was forgotten or moved meanwhile). A sync never takes over a key that
     * names another server: the operator's move or another proxy's routing during this
     * proxy's outage wins, and this proxy kicks its sessions of the user (README, "Several
     * proxies"). Returns {1, live total}, {0, ''} when nothing was written, or, for a sync
     * that found the key on another server, {2, server} when the user has live sessions
     * there (a split) and {3, server} when not (moved meanwhile).
     */
    static final String WRITE = COMMON + """
            local server, count, sync = ARGV[4], tonumber(ARGV[5]), ARGV[8] == 'sync'
            local cur = redis.call('HGET', KEYS[1], 's')
            if cur ~= server then
              if not sync or count == 0 then return {0, ''} end
              if cur then
                if live(true) > 0 then return {2, cur} end
                return {3, cur}
              end
            end
            if count > 0 then
              redis.call('HSET', KEYS[1], 's', server, 'c:' .. me, count)
            else
              redis.call('HDEL', KEYS[1], 'c:' .. me)
            end
            if ARGV[6] == '1' then redis.call('HSET', KEYS[1], 'a', '1') end
            local total = live(false)
            if total > 0 then
              redis.call('PERSIST', KEYS[1])
            else
              idle(ARGV[7])
            end
            return {1, total}
            """;

    /**
     * Gives up the assignment if it is still to ARGV[4]; with ARGV[5] = '1' (down, draining,
     * rebalance, ttl: every reason but the operator's move) only when no proxy, this one
     * included, has a live session there: the user's next session goes where the open ones
     * are, so that no user is ever on two servers (README, "Why a user stays on one server").
     * Returns 1 when given up.
     */
    static final String FORGET = COMMON + """
            if redis.call('HGET', KEYS[1], 's') ~= ARGV[4] then return 0 end
            if ARGV[5] == '1' and live(false) > 0 then return 0 end
            redis.call('DEL', KEYS[1])
            return 1
            """;

    /**
     * The operator's move: the assignment becomes ARGV[4] ('' forgets it), idle for
     * ARGV[5] ms (0: not kept), counts dropped (the sessions on the old server are kicked by their
     * proxies, and their ends must not count on the new one). Returns the server before,
     * or ''.
     */
    static final String MOVE = COMMON + """
            local cur = redis.call('HGET', KEYS[1], 's')
            if cur == ARGV[4] then return cur end
            redis.call('DEL', KEYS[1])
            if ARGV[4] ~= '' and tonumber(ARGV[5]) > 0 then
              redis.call('HSET', KEYS[1], 's', ARGV[4], 'a', '1')
              redis.call('PEXPIRE', KEYS[1], ARGV[5])
            end
            return cur or ''
            """;

    /**
     * One assignment as GET /users shows it: {server or '', live sessions}. A hash whose
     * counts were all of proxies that died (no expiry, nobody left to end it) becomes idle
     * here: affinity-ttl ARGV[4] ms, or deleted if never accepted.
     */
    static final String READ = COMMON + """
            local cur = redis.call('HGET', KEYS[1], 's')
            if not cur then return {'', 0} end
            local total = live(false)
            if total == 0 and redis.call('PTTL', KEYS[1]) == -1 then idle(ARGV[4]) end
            return {cur, total}
            """;
}
