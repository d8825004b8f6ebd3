package mailproxy.pool;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mailproxy.testing.Await;
import mailproxy.testing.RawClient;

/**
 * One mail client of the churn (ChurnDovecotTest): until its deadline or its session
 * budget, it picks a user (the late ones too once their time has come) and a protocol (IMAP mostly, POP3 sometimes) from its own
 * seeded random, logs in through the balancer, asks the server who it is, holds the
 * session a random while with a NOOP every half second, and logs out; every session whose
 * server it learned goes to the {@link SplitChecker}, with the times it surely was open
 * ({@link Seen}). The server tells who it is itself:
 * IMAP {@code ID NIL} after the login answers with the instance's {@code x-churn} field
 * (Dovecot's imap_id_send), POP3 {@code UIDL 1} with the instance's label before the dot
 * (its pop3_uidl_format); the proxy relays both untouched.
 */
final class ChurnClient implements Runnable {
    private static final Pattern IMAP_ID = Pattern.compile("\"x-churn\" \"([^\"]+)\"");
    private static final Pattern POP3_UIDL = Pattern.compile("^\\+OK 1 ([A-Za-z]+)\\.");
    private static final Duration NOOP_EVERY = Duration.ofMillis(500);

    /** What all clients of a run counted. */
    record Counts(AtomicInteger sessions, AtomicInteger refused, AtomicInteger broken, AtomicInteger unidentified) {
        Counts() {
            this(new AtomicInteger(), new AtomicInteger(), new AtomicInteger(), new AtomicInteger());
        }
    }

    /** A user of the shared store. */
    record User(String name, String password) {}

    private final int imapPort;
    private final int pop3Port;
    private final List<User> users;
    /** Users who log in only from {@code lateFrom} on: new users, after a server was added. */
    private final List<User> late;
    private final long lateFrom;
    private final Random random;
    private final long deadline;
    private final int maxSessions;
    private final SplitChecker checker;
    private final Counts counts;

    ChurnClient(int imapPort, int pop3Port, List<User> users, List<User> late, long lateFrom, long seed, long deadline,
                int maxSessions, SplitChecker checker, Counts counts) {
        this.imapPort = imapPort;
        this.pop3Port = pop3Port;
        this.users = users;
        this.late = late;
        this.lateFrom = lateFrom;
        this.random = new Random(seed);
        this.deadline = deadline;
        this.maxSessions = maxSessions;
        this.checker = checker;
        this.counts = counts;
    }

    @Override
    public void run() {
        for (int session = 0; session < maxSessions && System.nanoTime() - deadline < 0; session++) {
            int n = users.size() + (System.nanoTime() - lateFrom >= 0 ? late.size() : 0);
            int pick = random.nextInt(n);
            User user = pick < users.size() ? users.get(pick) : late.get(pick - users.size());
            boolean pop3 = random.nextInt(4) == 0;
            // most sessions short (a phone checking), some long (a desktop client left open)
            long holdMs = random.nextInt(10) < 6 ? 300 + random.nextInt(1200) : 2000 + random.nextInt(6000);
            try {
                if (pop3) pop3(user, holdMs);
                else imap(user, holdMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** C: LOGIN, ID NIL, NOOP..., LOGOUT. */
    private void imap(User user, long holdMs) throws InterruptedException {
        Seen seen = new Seen(user, "imap");
        try (RawClient c = RawClient.connect(imapPort)) {
            c.expect("* OK");
            c.line("a LOGIN " + user.name() + " " + user.password());
            if (!tagged(c, "a").startsWith("a OK")) {
                counts.refused().incrementAndGet();
                return;
            }
            seen.opened();
            c.line("b ID NIL");
            for (String l = c.readLine(); l != null && !l.startsWith("b "); l = c.readLine()) {
                Matcher m = IMAP_ID.matcher(l);
                if (m.find()) seen.server = m.group(1);
            }
            hold(holdMs, seen, () -> {
                c.line("n NOOP");
                return tagged(c, "n").startsWith("n OK");
            });
            seen.alive();
            c.line("z LOGOUT");
            tagged(c, "z");
            ended(seen);
        } catch (IOException | AssertionError e) {
            // the session ended under the client (a killed server, a refused connection)
            broken(seen);
        }
    }

    /** C: USER, PASS, UIDL 1, NOOP..., QUIT. */
    private void pop3(User user, long holdMs) throws InterruptedException {
        Seen seen = new Seen(user, "pop3");
        try (RawClient c = RawClient.connect(pop3Port)) {
            c.expect("+OK");
            c.line("USER " + user.name());
            c.expect("+OK");
            c.line("PASS " + user.password());
            String answer = c.readLine();
            if (answer == null || !answer.startsWith("+OK")) {
                counts.refused().incrementAndGet();
                return;
            }
            seen.opened();
            c.line("UIDL 1");
            Matcher m = POP3_UIDL.matcher(String.valueOf(c.readLine()));
            if (m.find()) seen.server = m.group(1);
            hold(holdMs, seen, () -> {
                c.line("NOOP");
                String l = c.readLine();
                return l != null && l.startsWith("+OK");
            });
            seen.alive();
            c.line("QUIT");
            c.readLine();
            ended(seen);
        } catch (IOException | AssertionError e) {
            broken(seen);
        }
    }

    /**
     * What the client knows of one session, as times surely inside the server's own session:
     * from the login's OK received to the LOGOUT or QUIT sent (the server was in the session
     * until it read it), or, for a session that broke, to the last answer received.
     */
    private static final class Seen {
        final User user;
        final String protocol;
        String server;
        long opened;
        long lastAnswer;

        Seen(User user, String protocol) {
            this.user = user;
            this.protocol = protocol;
        }

        void opened() {
            opened = lastAnswer = System.nanoTime();
        }

        /** An answer came, or the LOGOUT is about to go: the server has the session now. */
        void alive() {
            lastAnswer = System.nanoTime();
        }
    }

    private interface Step {
        boolean ok() throws IOException;
    }

    /** The client keeps its session open for {@code holdMs}, a NOOP every half second. */
    private static void hold(long holdMs, Seen seen, Step noop) throws IOException, InterruptedException {
        long until = System.nanoTime() + holdMs * 1_000_000;
        while (System.nanoTime() - until < 0) {
            // holding the session open is the behaviour under test
            Await.pause(Duration.ofNanos(Math.min(NOOP_EVERY.toNanos(), Math.max(1, until - System.nanoTime()))));
            if (!noop.ok()) throw new IOException("NOOP failed");
            seen.alive();
        }
    }

    /** The tagged answer to {@code tag}, past untagged lines; "" at end of stream. */
    private static String tagged(RawClient c, String tag) throws IOException {
        for (String l = c.readLine(); l != null; l = c.readLine()) {
            if (l.startsWith(tag + " ")) return l;
        }
        return "";
    }

    private void ended(Seen seen) {
        counts.sessions().incrementAndGet();
        if (seen.server == null) counts.unidentified().incrementAndGet();
        else checker.session(seen.user.name(), seen.server, seen.protocol, seen.opened, seen.lastAnswer);
    }

    private void broken(Seen seen) {
        if (seen.opened == 0) {
            counts.refused().incrementAndGet();
            return;
        }
        counts.broken().incrementAndGet();
        if (seen.server != null) checker.session(seen.user.name(), seen.server, seen.protocol, seen.opened, seen.lastAnswer);
    }
}
