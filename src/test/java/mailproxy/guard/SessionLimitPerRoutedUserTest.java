package mailproxy.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;

import mailproxy.route.AuthServer;
import mailproxy.testing.FakeBackend;
import mailproxy.testing.FakeBackends;
import mailproxy.testing.RawClient;
import mailproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * max-sessions-per-user counts the user the router resolved (auth_http's Auth-User), not
 * the name the client typed: two aliases of one mailbox share its limit. The attack: a
 * leaked password used under every alias of the account, one alias per session.
 */
@Timeout(30)
class SessionLimitPerRoutedUserTest {

    @Test
    void twoAliasesOfOneUserShareItsSessionLimit() throws Exception {
        try (FakeBackend pop3 = FakeBackends.pop3().password("secret").start();
             AuthServer auth = AuthServer.start(r -> AuthServer.ok("127.0.0.1", pop3.port())
                     .with("Auth-User", "bob@example.test"));
             TestProxy proxy = TestProxy.start("""
                     mailproxy {
                       routers { auth { type = auth-http, url = "%s", timeout = 2s } }
                       default-router = auth
                       listeners = [ { name = pop3, protocol = pop3, listen = "127.0.0.1:0" } ]
                       guard { max-sessions-per-user = 1 }
                     }
                     """.formatted(auth.url()));
             RawClient first = RawClient.connectFrom("127.0.0.2", proxy.port("pop3"));
             RawClient second = RawClient.connectFrom("127.0.0.3", proxy.port("pop3"))) {
            first.transcript("""
                    S: +OK ...
                    C: USER bob
                    S: +OK
                    C: PASS secret
                    S: +OK Logged in.
                    """);
            second.transcript("""
                    S: +OK ...
                    C: USER robert
                    S: +OK
                    C: PASS secret
                    S: -ERR [IN-USE] Too many sessions for this user
                    S closes
                    """);
            assertEquals("robert", auth.last().header("Auth-User"), "the client typed the other alias");
            assertEquals(2, auth.requests().size());
        }
    }
}
