package mailproxy.config;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import mailproxy.tls.TlsClient;

/**
 * A backend (mailproxy.backends.NAME): one host, or a pool of {@code servers} that share the
 * protocol sections, TLS settings and pool settings.
 *
 * @param host      the one host of a one-host backend; empty when the backend lists servers
 * @param sections  the protocols it serves, each with its section; a protocol not there is
 *                  not served
 * @param tlsClient TLS towards the backend; for a backend with servers this one sends no
 *                  host-derived name (tls-server-name, else the address is verified), each
 *                  {@link Server} has its own
 * @param servers   never empty: a one-host backend is a pool of one
 */
public record Backend(String name, String host, Map<Protocol, Section> sections, TlsClient tlsClient,
                      List<Server> servers, Pooling pooling) {

    public Backend {
        sections = sections.isEmpty() ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(sections));
        servers = List.copyOf(servers);
        if (servers.isEmpty()) throw new IllegalArgumentException("backend " + name + " without servers");
    }

    /** A one-host backend with the default pool settings, serving the protocols of {@code sections}. */
    public static Backend oneHost(String name, String host, TlsClient tlsClient, Section... sections) {
        Map<Protocol, Section> byProtocol = new EnumMap<>(Protocol.class);
        for (Section s : sections) byProtocol.put(s.protocol(), s);
        return new Backend(name, host, byProtocol, tlsClient, List.of(new Server(host, 1, Map.of(), tlsClient)),
                Pooling.ONE_HOST);
    }

    /**
     * A protocol's section as an empty one reads (its default port and balance, no TLS, no
     * PROXY header, the default login): the one place backend defaults come from.
     */
    public static Section defaults(Protocol p) {
        return BackendSections.DEFAULTS.get(p);
    }

    /** How the proxy reaches a backend port: plaintext, TLS from the start, or STARTTLS/STLS. */
    public enum Tls { OFF, IMPLICIT, STARTTLS }

    /** How the proxy logs in to an IMAP backend. */
    public enum ImapLogin { LOGIN, AUTHENTICATE_PLAIN }

    /** How the proxy logs in to a POP3 backend. */
    public enum Pop3Login { USER, AUTH_PLAIN }

    /** Which AUTH the proxy sends to an SMTP backend after EHLO. */
    public enum SmtpAuth { NONE, PLAIN, LOGIN }

    /** How a pool picks a server for a session (per protocol). */
    public enum Balance { USER_HASH, LEAST_CONNECTIONS, ROUND_ROBIN }

    /** The PROXY protocol header (haproxy.org proxy-protocol.txt) written on connect, if any. */
    public enum ProxyProtocol { OFF, V1, V2 }

    /** What every protocol section has: where, how (TLS, PROXY header), and how a pool picks a server. */
    public interface Section {
        Protocol protocol();

        int port();

        Tls tls();

        Balance balance();

        ProxyProtocol proxyProtocol();
    }

    public record Imap(int port, ImapLogin login, boolean sendId, Tls tls, Balance balance, ProxyProtocol proxyProtocol)
            implements Section {
        @Override public Protocol protocol() { return Protocol.IMAP; }

        /** Plaintext, no PROXY header, the protocol's default balance (tests). */
        public Imap(int port, ImapLogin login, boolean sendId) {
            this(port, login, sendId, Tls.OFF, Protocol.IMAP.spec().defaultBalance(), ProxyProtocol.OFF);
        }
    }

    public record Pop3(int port, Pop3Login login, boolean xclient, Tls tls, Balance balance, ProxyProtocol proxyProtocol)
            implements Section {
        @Override public Protocol protocol() { return Protocol.POP3; }

        /** Plaintext, no PROXY header, the protocol's default balance (tests). */
        public Pop3(int port, Pop3Login login, boolean xclient) {
            this(port, login, xclient, Tls.OFF, Protocol.POP3.spec().defaultBalance(), ProxyProtocol.OFF);
        }
    }

    public record Smtp(int port, SmtpAuth auth, boolean xclient, Tls tls, Balance balance, ProxyProtocol proxyProtocol)
            implements Section {
        @Override public Protocol protocol() { return Protocol.SMTP; }

        /** Plaintext, no PROXY header, the protocol's default balance (tests). */
        public Smtp(int port, SmtpAuth auth, boolean xclient) {
            this(port, auth, xclient, Tls.OFF, Protocol.SMTP.spec().defaultBalance(), ProxyProtocol.OFF);
        }
    }

    /**
     * The section of a protocol with no keys of its own, only port, tls, balance and
     * proxy-protocol: LMTP (the proxy opens one backend transaction per server its
     * recipients are routed to, README "LMTP delivery") and ManageSieve (the proxy logs in
     * with AUTHENTICATE: PLAIN, or the client's OAuth token).
     */
    public record Basic(Protocol protocol, int port, Tls tls, Balance balance, ProxyProtocol proxyProtocol)
            implements Section {}

    /**
     * One server of the pool (mailproxy.backends.NAME.servers[i]).
     *
     * @param ports     its own port for a protocol (imap-port, pop3-port, ...); a protocol not
     *                  there uses the section's port
     * @param protocols the protocols it serves (servers[i].protocols), of those the backend
     *                  has a section for: a pool where only some servers run POP3 (README
     *                  "Backend pools")
     */
    public record Server(String host, int weight, Map<Protocol, Integer> ports, TlsClient tlsClient, Set<Protocol> protocols) {
        public Server {
            ports = ports.isEmpty() ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(ports));
            protocols = protocols.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(protocols));
        }

        /** A server of every protocol its backend serves (no servers[i].protocols). */
        public Server(String host, int weight, Map<Protocol, Integer> ports, TlsClient tlsClient) {
            this(host, weight, ports, tlsClient, EnumSet.allOf(Protocol.class));
        }

        /** Whether this server serves {@code p}, when its backend has a section for it. */
        public boolean serves(Protocol p) { return protocols.contains(p); }
    }

    /**
     * Passive marking (nginx upstream max_fails / fail_timeout, with the window apart),
     * active health checks and the failover bound per login.
     *
     * @param maxFails 0: failures never mark a server down
     * @param affinity  user-hash's sticky assignments (README, "Why a user stays on one server")
     */
    public record Pooling(int maxFails, Duration failWindow, Duration failTimeout, int maxTries, Health health,
                          Affinity affinity) {
        /** The defaults of a one-host backend: no active checks unless health.interval is set. */
        public static final Pooling ONE_HOST = new Pooling(1, Duration.ofSeconds(10), Duration.ofSeconds(10), 3,
                new Health(Duration.ZERO, 2, 3, Duration.ofSeconds(3), true), Affinity.DEFAULT);
    }

    /**
     * How long a user-hash pool keeps a user on the server of their sessions after the last
     * one ended ({@code affinity-ttl}), and how many users it keeps at most
     * ({@code affinity-max-users}).
     */
    public record Affinity(Duration ttl, int maxUsers, Rebalance rebalance) {
        /** 15 minutes, as Dovecot's director kept a user (director_user_expire). */
        public static final Affinity DEFAULT = new Affinity(Duration.ofMinutes(15), 100_000);

        /** With {@code affinity-rebalance = idle}. */
        public Affinity(Duration ttl, int maxUsers) {
            this(ttl, maxUsers, Rebalance.IDLE);
        }

        /**
         * {@code affinity-rebalance}: when a reload adds a server, what happens to the users the
         * hash now sends there who have sessions open elsewhere (README, "Moving users"). Idle
         * users move at once either way.
         */
        public enum Rebalance {
            /** They move once their last session has ended. */
            IDLE,
            /** Their sessions are kicked, and they move as those end. */
            KICK
        }
    }

    /**
     * Active checks: connect, read the greeting within {@code timeout}, close politely.
     * {@code rise} good checks in a row bring a server up, {@code fall} bad ones take it down.
     *
     * @param interval zero: no active checks
     * @param tls      do the TLS handshake too where the protocol section has tls = implicit
     */
    public record Health(Duration interval, int rise, int fall, Duration timeout, boolean tls) {
        public boolean on() { return !interval.isZero(); }
    }

    /** The section for a protocol, or null when this backend does not serve it. */
    public Section section(Protocol p) {
        return sections.get(p);
    }

    /** IMAP's login options, or null when not served. */
    public Imap imap() { return (Imap) section(Protocol.IMAP); }

    /** POP3's login options, or null when not served. */
    public Pop3 pop3() { return (Pop3) section(Protocol.POP3); }

    /** SMTP's login options, or null when not served. */
    public Smtp smtp() { return (Smtp) section(Protocol.SMTP); }

    /** TLS mode of this backend for a protocol. */
    public Tls tls(Protocol p) {
        Section s = section(p);
        return s == null || s.tls() == null ? Tls.OFF : s.tls();
    }

    /** The balancing policy for a protocol: the section's, else the protocol's default (see {@link Protocol}). */
    public Balance balance(Protocol p) {
        Section s = section(p);
        Balance b = s == null ? null : s.balance();
        return b != null ? b : p.spec().defaultBalance();
    }

    /** Which PROXY protocol header the proxy writes first on a connection to this backend for a protocol. */
    public ProxyProtocol proxyProtocol(Protocol p) {
        Section s = section(p);
        return s == null || s.proxyProtocol() == null ? ProxyProtocol.OFF : s.proxyProtocol();
    }

    /** The section's port for a protocol, -1 when the backend does not serve it. */
    public int port(Protocol p) {
        Section s = section(p);
        return s == null ? -1 : s.port();
    }

    /**
     * A server's port for a protocol: its own (imap-port, pop3-port, ...), else the
     * section's; -1 when the backend does not serve it, or this server does not (its
     * {@code protocols} leave it out): then the pool neither offers it nor checks it for
     * that protocol.
     */
    public int port(Server s, Protocol p) {
        int own = s.ports().getOrDefault(p, 0);
        int section = port(p);
        return section < 0 || !s.serves(p) ? -1 : own > 0 ? own : section;
    }

    public boolean serves(Protocol p) { return port(p) > 0; }

    /**
     * The options a session uses towards one server: this backend with that server's host
     * and TLS client (its name for SNI and certificate checks).
     */
    public Backend forServer(Server s) {
        return new Backend(name, s.host(), sections, s.tlsClient(), servers, pooling);
    }
}
