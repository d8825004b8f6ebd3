package mailproxy.testing;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Two {@link RealDovecot}s as the two servers of a pool, for all the tests of a class:
 * {@code @RegisterExtension static final DovecotPair dovecots = DovecotPair.separate();}.
 * Started before the class's first test, stopped after its last. {@link #separate()}: each
 * with its own fixture users (bob on both, two mailboxes); {@link #sharingAnyUser}: any
 * user name logs in, its home in one {@link SharedMailStore} both serve. Also which of the
 * two an audit line's {@code backend=host:port} names.
 */
public final class DovecotPair implements BeforeAllCallback, AfterAllCallback {
    private static final Pattern BACKEND = Pattern.compile("backend=(\\S+)");
    /** null: each Dovecot has only its fixture users. */
    private final String anyUserPassword;
    private SharedMailStore store;
    private RealDovecot one;
    private RealDovecot two;

    private DovecotPair(String anyUserPassword) {
        this.anyUserPassword = anyUserPassword;
    }

    /** Two Dovecots, each with its own fixture users and mailboxes. */
    public static DovecotPair separate() {
        return new DovecotPair(null);
    }

    /** Two Dovecots on one mail store where every user name logs in with {@code password} (beside the fixture users). */
    public static DovecotPair sharingAnyUser(String password) {
        return new DovecotPair(password);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        String extra = "";
        if (anyUserPassword != null) {
            store = SharedMailStore.create();
            extra = store.anyUserConfig(anyUserPassword);
        }
        one = RealDovecot.startExtra(extra);
        two = RealDovecot.startExtra(extra);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (one != null) one.close();
        if (two != null) two.close();
        if (store != null) store.close();
    }

    public RealDovecot one() {
        return one;
    }

    public RealDovecot two() {
        return two;
    }

    /** The one that is not {@code d}. */
    public RealDovecot other(RealDovecot d) {
        return d == one ? two : one;
    }

    /** Which of the two a log line's "backend=host:port" names (its IMAP or its POP3 port); fails the test if neither. */
    public RealDovecot serverOf(String line) {
        Matcher m = BACKEND.matcher(line);
        if (!m.find()) throw new AssertionError("no backend= in: " + line);
        int port = Integer.parseInt(m.group(1).substring(m.group(1).lastIndexOf(':') + 1));
        if (port == one.imapPort() || port == one.pop3Port()) return one;
        if (port == two.imapPort() || port == two.pop3Port()) return two;
        throw new AssertionError("not one of the two Dovecots: " + line);
    }

    /** A client logged in as bob through a proxy, its session open, and the audit line of that login. */
    public record HeldLogin(RawClient client, String audit) {}

    /**
     * C: a LOGIN as bob through {@code p}'s listener {@code listener}; the session stays open
     * for the caller to close. Waits for the login's audit line (listeners named per proxy
     * tell two proxies' lines apart).
     */
    public static HeldLogin holdLogin(TestProxy p, String listener, LogCapture log) throws Exception {
        int before = logins(log, listener).size();
        RawClient c = RawClient.connect(p.port(listener));
        c.expect("* OK");
        c.exchange("a LOGIN " + RealDovecot.BOB + " " + RealDovecot.BOB_PASSWORD, "a OK");
        Await.until(Duration.ofSeconds(5), "the audit line", () -> logins(log, listener).size() > before);
        return new HeldLogin(c, logins(log, listener).getLast());
    }

    /** The audit lines of the successful logins through listener {@code listener}, oldest first. */
    public static List<String> logins(LogCapture log, String listener) {
        return logins(log).stream().filter(l -> l.contains("listener=" + listener + " ")).toList();
    }

    /** The audit lines of the successful logins in {@code log}, oldest first. */
    public static List<String> logins(LogCapture log) {
        List<String> out = new ArrayList<>();
        for (String l : log.text().split("\n")) if (l.contains("verdict=ok") && l.contains("result=success")) out.add(l);
        return out;
    }
}
