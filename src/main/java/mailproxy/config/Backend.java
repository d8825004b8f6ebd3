package mailproxy.config;

import java.time.Duration;
import java.util.List;
import mailproxy.tls.TlsClient;

/**
 * A backend (mailproxy.backends.NAME): one host, or a pool of {@code servers} that share the
 * protocol sections, TLS settings and pool settings. A protocol section that is null means
 * the backend does not serve that protocol.
 *
 * @param host      the one host of a one-host backend; empty when the backend lists servers
 * @param tlsClient TLS towards the backend; for a backend with servers this one sends no
 *                  host-derived name (tls-server-name, else the address is verified), each
 *                  {@link Server} has its own
 * @param servers   never empty: a one-host backend is a pool of one
 */
public record Backend(String name, String host, Imap imap, Pop3 pop3, Smtp smtp, TlsClient tlsClient,
                      List<Server> servers, Pooling pooling, Lmtp lmtp, Sieve sieve) {

    public Backend {
        servers = List.copyOf(servers);
        if (servers.isEmpty()) throw new IllegalArgumentException("backend " + name + " without servers");
    }

    /** A backend without LMTP and ManageSieve sections. */
    public Backend(String name, String host, Imap imap, Pop3 pop3, Smtp smtp, TlsClient tlsClient,
                   List<Server> servers, Pooling pooling) {
        this(name, host, imap, pop3, smtp, tlsClient, servers, pooling, null, null);
    }

    /** A one-host backend with the default pool settings. */
    public Backend(String name, String host, Imap imap, Pop3 pop3, Smtp smtp, TlsClient tlsClient) {
        this(name, host, imap, pop3, smtp, tlsClient, List.of(new Server(host, 1, 0, 0, 0, tlsClient)), Pooling.ONE_HOST);
    }

    /** A one-host backend without TLS. */
    public Backend(String name, String host, Imap imap, Pop3 pop3, Smtp smtp) {
        this(name, host, imap, pop3, smtp, null);
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
        int port();

        Tls tls();

        Balance balance();

        ProxyProtocol proxyProtocol();
    }

    public record Imap(int port, ImapLogin login, boolean sendId, Tls tls, Balance balance, ProxyProtocol proxyProtocol)
            implements Section {
        public Imap(int port, ImapLogin login, boolean sendId, Tls tls) {
            this(port, login, sendId, tls, Balance.USER_HASH, ProxyProtocol.OFF);
        }

        public Imap(int port, ImapLogin login, boolean sendId) {
            this(port, login, sendId, Tls.OFF);
        }
    }

    public record Pop3(int port, Pop3Login login, boolean xclient, Tls tls, Balance balance, ProxyProtocol proxyProtocol)
            implements Section {
        public Pop3(int port, Pop3Login login, boolean xclient, Tls tls) {
            this(port, login, xclient, tls, Balance.USER_HASH, ProxyProtocol.OFF);
        }

        public Pop3(int port, Pop3Login login, boolean xclient) {
            this(port, login, xclient, Tls.OFF);
        }
    }

    public record Smtp(int port, SmtpAuth auth, boolean xclient, Tls tls, Balance balance, ProxyProtocol proxyProtocol)
            implements Section {
        public Smtp(int port, SmtpAuth auth, boolean xclient, Tls tls) {
            this(port, auth, xclient, tls, Balance.LEAST_CONNECTIONS, ProxyProtocol.OFF);
        }

        public Smtp(int port, SmtpAuth auth, boolean xclient) {
            this(port, auth, xclient, Tls.OFF);
        }
    }

    /**
     * LMTP delivery (RFC 2033): the proxy opens one backend transaction per server its
     * recipients are routed to (docs: README "LMTP delivery").
     */
    public record Lmtp(int port, Tls tls, Balance balance, ProxyProtocol proxyProtocol) implements Section {}

    /** ManageSieve (RFC 5804): the proxy logs in with AUTHENTICATE (PLAIN, or the client's OAuth token). */
    public record Sieve(int port, Tls tls, Balance balance, ProxyProtocol proxyProtocol) implements Section {}

    /**
     * One server of the pool (mailproxy.backends.NAME.servers[i]); a port of 0 means the
     * protocol section's port.
     */
    public record Server(String host, int weight, int imapPort, int pop3Port, int smtpPort, TlsClient tlsClient,
                         int lmtpPort, int sievePort) {
        public Server(String host, int weight, int imapPort, int pop3Port, int smtpPort, TlsClient tlsClient) {
            this(host, weight, imapPort, pop3Port, smtpPort, tlsClient, 0, 0);
        }
    }

    /**
     * Passive marking (nginx upstream max_fails / fail_timeout, with the window apart),
     * active health checks and the failover bound per login.
     *
     * @param maxFails 0: failures never mark a server down
     */
    public record Pooling(int maxFails, Duration failWindow, Duration failTimeout, int maxTries, Health health) {
        /** The defaults of a one-host backend: no active checks unless health.interval is set. */
        public static final Pooling ONE_HOST = new Pooling(1, Duration.ofSeconds(10), Duration.ofSeconds(10), 3,
                new Health(Duration.ZERO, 2, 3, Duration.ofSeconds(3), true));
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
        return switch (p) {
            case IMAP -> imap;
            case POP3 -> pop3;
            case SMTP -> smtp;
            case LMTP -> lmtp;
            case SIEVE -> sieve;
        };
    }

    /** TLS mode of this backend for a protocol. */
    public Tls tls(Protocol p) {
        Section s = section(p);
        return s == null || s.tls() == null ? Tls.OFF : s.tls();
    }

    /**
     * The balancing policy for a protocol: least-connections for SMTP by default (any
     * server relays), user-hash for the others (the user's mail, scripts and deliveries
     * live on one server).
     */
    public Balance balance(Protocol p) {
        Section s = section(p);
        Balance b = s == null ? null : s.balance();
        return b != null ? b : p == Protocol.SMTP ? Balance.LEAST_CONNECTIONS : Balance.USER_HASH;
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

    /** A server's port for a protocol: its own imap-port/pop3-port/smtp-port/lmtp-port/sieve-port, else the section's; -1 when not served. */
    public int port(Server s, Protocol p) {
        int own = switch (p) {
            case IMAP -> s.imapPort();
            case POP3 -> s.pop3Port();
            case SMTP -> s.smtpPort();
            case LMTP -> s.lmtpPort();
            case SIEVE -> s.sievePort();
        };
        int section = port(p);
        return section < 0 ? -1 : own > 0 ? own : section;
    }

    public boolean serves(Protocol p) { return port(p) > 0; }

    /**
     * The options a session uses towards one server: this backend with that server's host
     * and TLS client (its name for SNI and certificate checks).
     */
    public Backend forServer(Server s) {
        return new Backend(name, s.host(), imap, pop3, smtp, s.tlsClient(), servers, pooling, lmtp, sieve);
    }
}
