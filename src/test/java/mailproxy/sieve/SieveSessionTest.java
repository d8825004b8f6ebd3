package mailproxy.sieve;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.List;
import mailproxy.session.Outcome;
import mailproxy.testing.FakeSession;
import mailproxy.testing.Sasl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** SieveSession alone, against a fake Session: ManageSieve before AUTHENTICATE (RFC 5804). */
@Timeout(30)
class SieveSessionTest {
    private static final String GREETING = """
            S: "IMPLEMENTATION" ...
            S: "SIEVE" ...
            S: "NOTIFY" ...
            S: "SASL" "PLAIN"
            S: "VERSION" "1.0"
            S: OK "proxy.test ManageSieve ready."
            """;

    @Test
    void greetingBadCommandsThenByeAtMaxErrors() throws Exception {
        FakeSession.dialogue("sieve", ", auth = [plain]", SieveSession::new, GREETING + """
                C: NOOP
                S: OK "NOOP completed."
                C: FROB
                S: NO "Unknown command."
                C: LISTSCRIPTS
                S: NO "Authenticate first."
                C: CAPABILITY extra
                S: NO "CAPABILITY takes no arguments."
                S: BYE "Too many invalid commands."
                S closes
                """, Outcome.TOO_MANY_ERRORS);
    }

    @Test
    void authenticateIsHandedToTheSessionAndRefusalsCount() throws Exception {
        List<FakeSession.LoginCall> logins = FakeSession.dialogue("sieve", ", auth = [plain]", SieveSession::new, GREETING + """
                C: AUTHENTICATE "PLAIN" "%1$s"
                S: NO "Invalid login or password"
                C: AUTHENTICATE "PLAIN" "%1$s"
                S: NO "Invalid login or password"
                C: AUTHENTICATE "CRAM-MD5"
                S: NO "Unsupported authentication mechanism."
                S: BYE "Too many invalid commands."
                S closes
                """.formatted(Sasl.plain("bob", "wrong1")), Outcome.TOO_MANY_ERRORS);
        assertEquals(2, logins.size());
        assertAll(
                () -> assertEquals("wrong1", logins.get(0).credentials().secret()),
                () -> assertInstanceOf(SieveBackendLogin.class, logins.get(0).backend()));
    }
}
