package mailproxy.guard;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import mailproxy.config.GuardConfig;
import mailproxy.config.Protocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connection limits and the password-guessing throttle, shared by every session of the
 * proxy (and, with Redis, by every proxy). Thread-safe.
 *
 * <p>On accept: {@link #admit}; after a login: {@link #admitUser}; a permit is given back
 * with {@link Permit#close()} when the session ends. Before asking the router:
 * {@link #available()} (false only with {@code on-redis-down = refuse} while Redis is down:
 * answer the protocol's temporary failure) and {@link #blocked}. After a failed login: sleep
 * {@link #delayBeforeFailureReply}, then answer. After a good one: {@link #loginSucceeded}.
 * Addresses in {@code trusted-networks} pass every check and are never counted.
 */
public final class Guard implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger("guard");

    private final GuardConfig config;
    private final SharedState state;
    private final SecretTags tags = new SecretTags();
    private final Places places;
    private final Thread refresher;
    private volatile boolean closed;

    /**
     * A place under a limit, or a refusal ({@link #ok()} false). Closing gives the place
     * back; closing twice, or closing a refusal, does nothing.
     */
    public static final class Permit implements AutoCloseable {
        private final Guard guard;
        /** The counters this permit holds a place under: none, one, or (a session) the user's and the user-and-address's. */
        private final List<String> keys;
        private final boolean ok;
        private final AtomicBoolean released = new AtomicBoolean();

        private Permit(Guard guard, List<String> keys, boolean ok) {
            this.guard = guard;
            this.keys = keys;
            this.ok = ok;
        }

        public boolean ok() {
            return ok;
        }

        /** A refusal because the guard's table is full of blocks (guard action table-full), not because of this address. */
        public boolean tableFull() {
            return this == guard.tableFull;
        }

        @Override
        public void close() {
            if (ok && released.compareAndSet(false, true)) for (String key : keys) guard.places.giveBack(key);
        }
    }

    private final Permit unlimited = new Permit(this, List.of(), true);
    private final Permit refused = new Permit(this, List.of(), false);
    private final Permit tableFull = new Permit(this, List.of(), false);

    /** The guard the config asks for: local state, or Redis with the local table as fallback. */
    public static Guard start(GuardConfig config) {
        return start(config, true);
    }

    /** Without {@code refresh} nothing renews this proxy's lease nor rewrites its shares (a test's crashed proxy). */
    static Guard start(GuardConfig config, boolean refresh) {
        InstantSource clock = InstantSource.system();
        GuardConfig.State s = config.state();
        LocalState local = new LocalState(clock, s.localMaxKeys());
        SharedState state = local;
        if (!s.redis().isEmpty()) {
            RedisState redis = new RedisState(s);
            state = new FallbackState(redis, redis.where(), local, clock, s.retryInterval());
        }
        return new Guard(config, state, refresh);
    }

    /** With {@code refresh}, a virtual thread renews the lease, rewrites missed shares and refreshes held counters. */
    Guard(GuardConfig config, SharedState state, boolean refresh) {
        this.config = config;
        this.state = state;
        this.places = new Places(state, config.sessionCountTtl());
        this.refresher = refresh ? Thread.ofVirtual().name("guard-refresh").start(this::refreshLoop) : null;
    }

    /** The settings this guard runs with. */
    public GuardConfig config() { return config; }

    // ---------------------------------------------------------------- connection limits

    /**
     * A connection from {@code client}: refused past {@code max-connections-per-ip}, and
     * while the table is full of blocks (LocalState: refusing, not forgetting a block).
     */
    public Permit admit(InetAddress client) {
        if (trusted(client)) return unlimited;
        if (state.full()) return tableFull;
        if (config.maxConnectionsPerIp() == 0) return unlimited;
        return take("conn:" + network(client), config.maxConnectionsPerIp());
    }

    /**
     * A logged-in session of {@code user} from {@code client} in {@code protocol}: refused
     * past {@code max-sessions-per-user} (all addresses, all protocols), or past
     * {@code max-sessions-per-user-ip} (this address's network, this protocol: Dovecot's
     * mail_max_userip_connections, counted per protocol as Dovecot does), over all proxies.
     * Both are shares in {@link Places}, so they hold with Redis and outlive a Redis stall
     * as the connection count does (docs/ARCHITECTURE.md, "The guard").
     */
    public Permit admitUser(InetAddress client, String user, Protocol protocol) {
        if (trusted(client)) return unlimited;
        List<String> held = new ArrayList<>(2);
        String u = userKey(user);
        if (config.maxSessionsPerUser() > 0) {
            String key = "sess:" + u;
            if (!places.take(key, config.maxSessionsPerUser())) return refused;
            held.add(key);
        }
        if (config.maxSessionsPerUserIp() > 0) {
            String key = "userip:" + protocol.id() + ":" + network(client) + ":" + u;
            if (!places.take(key, config.maxSessionsPerUserIp())) {
                for (String taken : held) places.giveBack(taken);
                return refused;
            }
            held.add(key);
        }
        return held.isEmpty() ? unlimited : new Permit(this, List.copyOf(held), true);
    }

    private Permit take(String key, int max) {
        return places.take(key, max) ? new Permit(this, List.of(key), true) : refused;
    }

    /** Refreshes the expiry of every counter this proxy holds places on (a session may last days). */
    void refreshHeld() {
        places.refreshHeld();
    }

    /**
     * Beats every third of the lease, or every retry-interval if shorter (so shares are
     * mended soon after Redis answers again); refreshes held counters every quarter of
     * session-count-ttl.
     */
    private void refreshLoop() {
        long beat = Math.max(100, Math.min(config.state().instanceLease().toMillis() / 3, config.state().retryInterval().toMillis()));
        long refreshEvery = Math.max(1000, config.sessionCountTtl().toMillis() / 4);
        long nextRefresh = System.nanoTime() + refreshEvery * 1_000_000;
        while (!closed) {
            try {
                Thread.sleep(beat);
                places.beat();
                if (System.nanoTime() - nextRefresh >= 0) {
                    nextRefresh = System.nanoTime() + refreshEvery * 1_000_000;
                    refreshHeld();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.warn("refreshing session counters failed: {}", e.toString());
            }
        }
    }

    // ---------------------------------------------------------------- the throttle

    /** False while logins must be refused with a temporary failure (Redis down, on-redis-down = refuse). */
    public boolean available() {
        return config.state().onRedisDown() != GuardConfig.OnRedisDown.REFUSE || state.shared();
    }

    /** True while {@code client} is blocked: answer its logins with the protocol's failure and close. */
    public boolean blocked(InetAddress client) {
        if (config.blockAfter() == 0 || trusted(client)) return false;
        return state.get("block:" + network(client)) != null;
    }

    /**
     * Counts a failed login and says how long to wait before answering it: auth-delay
     * doubled for each earlier failure of this user from this address or from anywhere in
     * the window, at most auth-max-delay. The same wrong password again (a client retrying
     * a stale one) is not counted again. Past block-after failures from the address, it is
     * blocked for block-time. {@code secret} is only hashed (see {@link SecretTags}); null
     * when the client gave none.
     */
    public Duration delayBeforeFailureReply(InetAddress client, String user, String secret) {
        if (trusted(client)) return Duration.ZERO;
        String net = network(client);
        String u = userKey(user);
        String pairKey = "fail:pair:" + net + ":" + u;
        String userFails = "fail:user:" + u;
        if (secret != null && config.rememberedSecrets() > 0 && repeated(net, u, secret)) {
            return delay(Math.max(state.count(pairKey), state.count(userFails)));
        }
        long fromAddress = state.increment("fail:ip:" + net, 1, config.window());
        long pair = state.increment(pairKey, 1, config.window());
        long forUser = u.isEmpty() ? 0 : state.increment(userFails, 1, config.window());
        if (config.blockAfter() > 0 && fromAddress >= config.blockAfter()) {
            state.put("block:" + net, Long.toString(fromAddress), config.blockTime());
            if (fromAddress == config.blockAfter()) {
                log.warn("blocking {} for {}: {} failed logins within {}", net, config.blockTime(), fromAddress, config.window());
            }
        }
        return delay(Math.max(pair, forUser));
    }

    /** True when this password already failed for this user from this network; else remembers it. */
    private boolean repeated(String net, String u, String secret) {
        String key = "seen:" + net + ":" + u;
        String tag = tags.tag(net, u, secret);
        String seen = state.get(key);
        List<String> tagsSeen = new ArrayList<>(seen == null || seen.isEmpty() ? List.of() : Arrays.asList(seen.split(",")));
        if (tagsSeen.contains(tag)) return true;
        tagsSeen.add(tag);
        while (tagsSeen.size() > config.rememberedSecrets()) tagsSeen.remove(0);
        state.put(key, String.join(",", tagsSeen), config.window());
        return false;
    }

    /** auth-delay * 2^(failures-1), at most auth-max-delay. */
    Duration delay(long failures) {
        if (failures <= 0) return Duration.ZERO;
        long max = config.authMaxDelay().toMillis();
        long ms = config.authDelay().toMillis();
        for (long i = 1; i < failures && ms > 0 && ms < max; i++) ms *= 2; // at most ~log2(max) rounds
        return Duration.ofMillis(Math.min(ms, max));
    }

    /**
     * A good login: this address's failures for this user are forgotten, also in the
     * user's count (they were the user's own typos). Failures from other addresses stay,
     * and so does the address's count toward a block: a password that works for one
     * account must not reset guessing at others.
     */
    public void loginSucceeded(InetAddress client, String user) {
        if (trusted(client)) return;
        String net = network(client);
        String u = userKey(user);
        String pairKey = "fail:pair:" + net + ":" + u;
        long own = state.count(pairKey);
        state.delete(pairKey);
        state.delete("seen:" + net + ":" + u);
        if (own > 0 && !u.isEmpty()) state.increment("fail:user:" + u, -own, config.window());
    }

    // ---------------------------------------------------------------- keys

    private boolean trusted(InetAddress client) {
        for (GuardConfig.Network n : config.trustedNetworks()) if (Cidr.contains(n, client)) return true;
        return false;
    }

    private String network(InetAddress client) {
        return Cidr.network(client, config.ipv6Prefix());
    }

    /** Lower case (mail logins are case-insensitive); a very long name is hashed to keep keys small. */
    static String userKey(String user) {
        String u = user == null ? "" : user.toLowerCase(Locale.ROOT);
        if (u.length() <= 200) return u;
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(u.getBytes(StandardCharsets.UTF_8));
            return "sha256:" + HexFormat.of().formatHex(h);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    @Override
    public void close() {
        closed = true;
        if (refresher != null) refresher.interrupt();
        state.close();
    }
}
