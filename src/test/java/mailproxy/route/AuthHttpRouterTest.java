package mailproxy.route;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import mailproxy.config.Backend;
import mailproxy.config.Protocol;
import mailproxy.config.RouterConfig;
import mailproxy.testing.ScriptedServer;
import mailproxy.tls.TlsFacts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The auth_http router on its own: what it sends, and what each kind of answer becomes. */
@Timeout(20)
class AuthHttpRouterTest {
    private static final InetSocketAddress CLIENT = new InetSocketAddress("198.51.100.7", 40123);
    private static final InetSocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 110);

    /** openssl req -x509 -newkey ec -subj "/CN=Bob Smith/O=Example" (serial 2F4A...42CF). */
    private static final String CERT = """
            -----BEGIN CERTIFICATE-----
            MIIBozCCAUmgAwIBAgIUL0qRc2cCodIIIpIlJ91n9su/Qs8wCgYIKoZIzj0EAwIw
            JjESMBAGA1UEAwwJQm9iIFNtaXRoMRAwDgYDVQQKDAdFeGFtcGxlMCAXDTI2MTEy
            NzEzMzY0OFoYDzIxMjYxMTAzMTMzNjQ4WjAmMRIwEAYDVQQDDAlCb2IgU21pdGgx
            EDAOBgNVBAoMB0V4YW1wbGUwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAR2IyWG
            ZQ4vKmPep9drZ9rUfWMYAnP/H/qKrVoYYchBfeNjNuBm9K18j3nvlb2WjLh+kcD+
            TSKNWDL9Iy+Cr/zqo1MwUTAdBgNVHQ4EFgQUjo77guwtdwREXxDtxHtPlu/kQ8Mw
            HwYDVR0jBBgwFoAUjo77guwtdwREXxDtxHtPlu/kQ8MwDwYDVR0TAQH/BAUwAwEB
            /zAKBggqhkjOPQQDAgNIADBFAiEA19MV73QX62OqOd5AVzrWMEdfhuA7Q+xqcSeP
            PHRFDskCIBqhoKA5il20anvo+dHGqRPLmQLiGGvkkKTyAydP3PWu
            -----END CERTIFICATE-----
            """;

    private static AuthHttpRouter router(URI url, Duration timeout, Map<String, String> headers, String template,
                                         Map<String, Backend> backends) {
        return new AuthHttpRouter(new RouterConfig.AuthHttp("auth", url, timeout, headers, 4, template, false, RouterConfig.CallLimit.DEFAULT), backends);
    }

    private static TlsFacts tlsWithCertificate() throws Exception {
        X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(CERT.getBytes(StandardCharsets.US_ASCII)));
        return new TlsFacts("TLSv1.3", "TLS_AES_128_GCM_SHA256", TlsFacts.SUCCESS, Optional.of(
                new TlsFacts.ClientCertificate("CN=Bob Smith,O=Example", "CN=Bob Smith,O=Example",
                        "2F4A91736702A1D20822922527DD67F6CBBF42CF", "77dea8ad298556053b451cecb2ae34eea9908067",
                        cert, List.of(cert))));
    }

    private static AuthHttpRouter router(AuthServer auth) {
        return router(auth.url(), Duration.ofSeconds(3), Map.of(), null, Map.of());
    }

    private static LoginRequest plain(Protocol p, String user, String pass, int attempt) {
        return new LoginRequest(p, "plain", user, pass, "", attempt, CLIENT, LOCAL, "s1", null);
    }

    @Test
    void plainLoginHeadersInNginxOrder() throws Exception {
        Map<String, String> extra = new LinkedHashMap<>();
        extra.put("X-Auth-Key", "secret key");
        extra.put("X-Second", "2");
        try (AuthServer auth = AuthServer.start(r -> AuthServer.ok("127.0.0.1", 1110))) {
            AuthHttpRouter router = router(auth.url(), Duration.ofSeconds(3), extra, null, Map.of());
            router.route(plain(Protocol.POP3, "bob", "secret", 1));
            AuthServer.Request r = auth.last();
            assertEquals(java.util.Set.of("host", "auth-method", "auth-user", "auth-pass", "auth-protocol",
                    "auth-login-attempt", "client-ip", "client-port", "x-auth-key", "x-second"), r.headers().keySet());
            r.assertHeaders("""
                    Auth-Method: plain
                    Auth-User: bob
                    Auth-Pass: secret
                    Auth-Protocol: pop3
                    Auth-Login-Attempt: 1
                    Client-IP: 198.51.100.7
                    Client-Port: 40123
                    X-Auth-Key: secret key
                    """);
            assertNull(r.header("Auth-Salt"));
            assertNull(r.header("Client-Host"));
        }
    }

    @Test
    void rawRequestIsInNginxOrder() throws Exception {
        List<String> head = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (ScriptedServer s = new ScriptedServer(peer -> {
                for (String l = peer.readLine(); l != null && !l.isEmpty(); l = peer.readLine()) head.add(l);
                peer.send("HTTP/1.0 200 OK\r\nAuth-Status: no\r\n\r\n");
             })) {
            router(URI.create("http://127.0.0.1:" + s.port() + "/mail/auth"), Duration.ofSeconds(3),
                    Map.of("X-Auth-Key", "k"), null, Map.of())
                    .route(new LoginRequest(Protocol.SMTP, "cram-md5", "bob", "b913a602c7eda7a495b4e6e7334d3890",
                            "<1.2@h>", 2, CLIENT, LOCAL, "s", null,
                            new TlsFacts("TLSv1.3", "TLS_AES_128_GCM_SHA256", TlsFacts.NONE, Optional.empty()), null));
        }
        assertEquals(List.of(
                "GET /mail/auth HTTP/1.1",
                "Host: 127.0.0.1:" + head.get(1).substring(head.get(1).lastIndexOf(':') + 1),
                "Auth-Method: cram-md5",
                "Auth-User: bob",
                "Auth-Pass: b913a602c7eda7a495b4e6e7334d3890",
                "Auth-Salt: <1.2@h>",
                "Auth-Protocol: smtp",
                "Auth-Login-Attempt: 2",
                "Client-IP: 198.51.100.7",
                "Client-Port: 40123",
                "Client-Host: [UNAVAILABLE]",
                "Auth-SSL: on",
                "Auth-SSL-Protocol: TLSv1.3",
                "Auth-SSL-Cipher: TLS_AES_128_GCM_SHA256",
                "Auth-SSL-Verify: NONE",
                "X-Auth-Key: k"), head);
    }

    @Test
    void userAndPasswordAreEscapedSoNoByteCanBreakTheHeaderBlock() throws Exception {
        String user = new String("a b%c\r\nAuth-Status: OK\0jörg".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        String pass = "p\rq\nr s%";
        try (AuthServer auth = AuthServer.start(r -> AuthServer.error("no"))) {
            router(auth).route(plain(Protocol.IMAP, user, pass, 1));
            AuthServer.Request r = auth.last();
            assertEquals("a%20b%25c%0D%0AAuth-Status:%20OK%00j\u00c3\u00b6rg", r.header("Auth-User"));
            assertArrayEquals(user.getBytes(StandardCharsets.ISO_8859_1), r.unescaped("Auth-User"));
            assertArrayEquals(pass.getBytes(StandardCharsets.ISO_8859_1), r.unescaped("Auth-Pass"));
            assertNull(r.header("Auth-Status"), "no header smuggled");
        }
    }

    @Test
    void ipv6ClientInShortForm() throws Exception {
        try (AuthServer auth = AuthServer.start(r -> AuthServer.error("no"))) {
            router(auth).route(new LoginRequest(Protocol.IMAP, "plain", "u", "p", "", 1,
                    new InetSocketAddress("::1", 5000), LOCAL, "s", null));
            assertEquals("::1", auth.last().header("Client-IP"));
        }
    }

    @Test
    void digestMethodsSendTheSalt() throws Exception {
        try (AuthServer auth = AuthServer.start(r -> AuthServer.error("no"))) {
            router(auth).route(new LoginRequest(Protocol.POP3, "apop", "bob", "c4c9334bac560ecc979e58001b3e22fb",
                    "<1896.697170952@dbc.mtview.ca.us>", 1, CLIENT, LOCAL, "s", null));
            AuthServer.Request r = auth.last();
            r.assertHeaders("""
                    Auth-Method: apop
                    Auth-Pass: c4c9334bac560ecc979e58001b3e22fb
                    Auth-Salt: <1896.697170952@dbc.mtview.ca.us>
                    """);
        }
    }

    @Test
    void smtpMxModeSendsClientHostAndEnvelope() throws Exception {
        try (AuthServer auth = AuthServer.start(r -> AuthServer.error("no"))) {
            router(auth).route(new LoginRequest(Protocol.SMTP, "none", "", "", "", 1, CLIENT, LOCAL, "s",
                    new LoginRequest.SmtpFacts("client.example", "MAIL FROM:<a@x.example> SIZE=100",
                            "RCPT TO:<b@y.example>")));
            AuthServer.Request r = auth.last();
            r.assertHeaders(AuthHttpFixture.MX_HEADERS);
        }
    }

    @Test
    void tlsFactsBecomeAuthSslHeaders() throws Exception {
        try (AuthServer auth = AuthServer.start(r -> AuthServer.error("no"))) {
            TlsFacts tls = tlsWithCertificate();
            LoginRequest login = new LoginRequest(Protocol.IMAP, "plain", "u", "p", "", 1, CLIENT, LOCAL, "s", null, tls, null);
            router(auth).route(login);
            AuthServer.Request r = auth.last();
            r.assertHeaders("""
                    Auth-SSL: on
                    Auth-SSL-Protocol: TLSv1.3
                    Auth-SSL-Cipher: TLS_AES_128_GCM_SHA256
                    Auth-SSL-Verify: SUCCESS
                    Auth-SSL-Subject: CN=Bob%20Smith,O=Example
                    Auth-SSL-Issuer: CN=Bob%20Smith,O=Example
                    Auth-SSL-Serial: 2F4A91736702A1D20822922527DD67F6CBBF42CF
                    Auth-SSL-Fingerprint: 77dea8ad298556053b451cecb2ae34eea9908067
                    """);
            assertNull(r.header("Auth-SSL-Cert"), "only with pass-client-cert");
            // pass-client-cert: the PEM, escaped like a password (nginx auth_http_pass_client_cert)
            new AuthHttpRouter(new RouterConfig.AuthHttp("auth", auth.url(), Duration.ofSeconds(3), Map.of(), 4, null, true, RouterConfig.CallLimit.DEFAULT),
                    Map.of()).route(login);
            String pem = auth.last().header("Auth-SSL-Cert");
            assertTrue(pem.startsWith("-----BEGIN%20CERTIFICATE-----%0AMIIBozCCAUmg"), pem);
            assertEquals(tls.clientCertificate().get().pem(), new String(AuthServer.unescape(pem), StandardCharsets.US_ASCII));
            // TLS without a client certificate: no certificate fields
            router(auth).route(new LoginRequest(Protocol.IMAP, "plain", "u", "p", "", 1, CLIENT, LOCAL, "s", null,
                    new TlsFacts("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", TlsFacts.NONE, Optional.empty()), null));
            assertEquals("NONE", auth.last().header("Auth-SSL-Verify"));
            assertNull(auth.last().header("Auth-SSL-Subject"));
            // plain text: no Auth-SSL at all
            router(auth).route(plain(Protocol.IMAP, "u", "p", 1));
            assertNull(auth.last().header("Auth-SSL"));
        }
    }

    private static Target onlyTarget(Route.Ok ok, Protocol p) {
        java.util.List<PoolServer> candidates = ok.pool().candidates("any", p);
        assertEquals(1, candidates.size());
        return candidates.get(0).target(p);
    }

    @Test
    void okRoutesToTheServerWithTheOverridesAndTheTemplateOptions() throws Exception {
        Backend template = Backend.oneHost("tpl", "10.0.0.1", null, new Backend.Imap(143, Backend.ImapLogin.AUTHENTICATE_PLAIN, true),
                new Backend.Pop3(110, Backend.Pop3Login.AUTH_PLAIN, true));
        try (AuthServer auth = AuthServer.start(r -> AuthServer.ok("store1.example.test", 1143)
                .with("Auth-User", "bob").with("Auth-Pass", "real secret").status(500).body("ignored"))) {
            Route route = router(auth.url(), Duration.ofSeconds(3), Map.of(), "tpl", Map.of("tpl", template))
                    .route(plain(Protocol.IMAP, "alias", "whatever", 1));
            Route.Ok ok = assertInstanceOf(Route.Ok.class, route);
            // one server, as nginx: a pool of one
            Target target = onlyTarget(ok, Protocol.IMAP);
            assertEquals(new Target("store1.example.test", 1143, target.options()), target);
            assertEquals("bob", ok.user());
            assertEquals("real secret", ok.password());
            assertEquals(Backend.ImapLogin.AUTHENTICATE_PLAIN, target.options().imap().login());
            assertTrue(target.options().pop3().xclient());
            assertEquals(Backend.SmtpAuth.NONE, target.options().smtp().auth(), "default for a missing section");
        }
    }

    @Test
    void okWithoutOverridesKeepsTheClientsLogin() throws Exception {
        try (AuthServer auth = AuthServer.start(r -> AuthServer.answer().with("Auth-Server", "[::1]").with("Auth-Port", "110"))) {
            Route.Ok ok = assertInstanceOf(Route.Ok.class, router(auth).route(plain(Protocol.POP3, "bob", "pw", 1)));
            assertEquals("::1", onlyTarget(ok, Protocol.POP3).host());
            assertEquals("bob", ok.user());
            assertEquals("pw", ok.password());
        }
    }

    @Test
    void errorWithWaitMayBeRetriedErrorWithoutCloses() throws Exception {
        try (AuthServer auth = AuthServer.start(r -> AuthServer.error("Invalid login or password")
                .with("Auth-Wait", r.header("Auth-Login-Attempt").equals("1") ? "3" : "0")
                .with("Auth-Error-Code", "535 5.7.8"))) {
            Route.Reject first = assertInstanceOf(Route.Reject.class, router(auth).route(plain(Protocol.SMTP, "u", "p", 1)));
            assertEquals("Invalid login or password", first.message());
            assertEquals(Duration.ofSeconds(3), first.retryAfter());
            assertEquals("535 5.7.8", first.smtpCode());
            Route.Reject second = assertInstanceOf(Route.Reject.class, router(auth).route(plain(Protocol.SMTP, "u", "p", 2)));
            assertNull(second.retryAfter());
        }
    }

    @Test
    void controlBytesInTheErrorTextNeverReachTheClientsReplyLine() throws Exception {
        try (ScriptedServer s = new ScriptedServer(peer -> {
                for (String l = peer.readLine(); l != null && !l.isEmpty(); l = peer.readLine()) { /* request */ }
                peer.send("HTTP/1.0 200 OK\r\nAuth-Status: bad\rA1 OK\0x\r\n\r\n");
             })) {
            Route r = router(URI.create("http://127.0.0.1:" + s.port() + "/"), Duration.ofSeconds(2), Map.of(), null, Map.of())
                    .route(plain(Protocol.IMAP, "u", "p", 1));
            assertEquals("bad A1 OK x", assertInstanceOf(Route.Reject.class, r).message());
        }
    }

    @Test
    void oddErrorCodeAndWaitAreIgnoredHugeWaitIsCapped() throws Exception {
        try (AuthServer auth = AuthServer.start(r -> AuthServer.error("no").with("Auth-Error-Code", "oops")
                .with("Auth-Wait", r.header("Auth-User").equals("a") ? "soon" : "99999999"))) {
            Route.Reject a = assertInstanceOf(Route.Reject.class, router(auth).route(plain(Protocol.SMTP, "a", "p", 1)));
            assertNull(a.smtpCode());
            assertNull(a.retryAfter());
            Route.Reject b = assertInstanceOf(Route.Reject.class, router(auth).route(plain(Protocol.SMTP, "b", "p", 1)));
            assertEquals(AuthHttpRouter.MAX_WAIT, b.retryAfter());
        }
    }

    @Test
    void waitAsksAgainWithTheSameAttemptNumber() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        try (AuthServer auth = AuthServer.start(r -> calls.incrementAndGet() < 3
                ? AuthServer.answer().with("Auth-Status", "WAIT").with("Auth-Wait", "0")
                : AuthServer.ok("127.0.0.1", 110))) {
            assertInstanceOf(Route.Ok.class, router(auth).route(plain(Protocol.POP3, "u", "p", 1)));
            assertEquals(3, auth.requests().size());
            auth.requests().forEach(r -> assertEquals("1", r.header("Auth-Login-Attempt")));
        }
    }

    @Test
    void endlessWaitIsATemporaryFailure() throws Exception {
        try (AuthServer auth = AuthServer.start(r -> AuthServer.answer().with("Auth-Status", "WAIT"))) {
            assertInstanceOf(Route.Unavailable.class, router(auth).route(plain(Protocol.POP3, "u", "p", 1)));
            assertEquals(AuthHttpRouter.MAX_WAIT_ROUNDS, auth.requests().size());
        }
    }

    @Test
    void incompleteOrInvalidOkIsATemporaryFailure() throws Exception {
        List<AuthServer.Answer> answers = List.of(
                AuthServer.answer(), // nothing at all (an empty 200, a PHP error page)
                AuthServer.answer().with("Auth-Status", "OK").with("Auth-Server", "127.0.0.1"),
                AuthServer.answer().with("Auth-Status", "OK").with("Auth-Port", "110"),
                AuthServer.ok("127.0.0.1", 0),
                AuthServer.ok("127.0.0.1", 70000),
                AuthServer.ok("bad host/name", 110),
                AuthServer.ok("127.0.0.1", 110).with("Auth-Port", "x"));
        for (AuthServer.Answer a : answers) {
            try (AuthServer auth = AuthServer.start(r -> a)) {
                assertInstanceOf(Route.Unavailable.class, router(auth).route(plain(Protocol.POP3, "u", "p", 1)), a.toString());
            }
        }
    }

    @Test
    void smtpDigestLoginNeedsAuthPassWhenTheBackendWantsSmtpAuth() throws Exception {
        Backend template = Backend.oneHost("tpl", "h", null, new Backend.Smtp(25, Backend.SmtpAuth.PLAIN, false));
        try (AuthServer auth = AuthServer.start(r -> AuthServer.ok("127.0.0.1", 25))) {
            Route route = router(auth.url(), Duration.ofSeconds(3), Map.of(), "tpl", Map.of("tpl", template))
                    .route(new LoginRequest(Protocol.SMTP, "cram-md5", "bob", "b913a602c7eda7a495b4e6e7334d3890", "<1.2@h>",
                            1, CLIENT, LOCAL, "s", null));
            assertInstanceOf(Route.Unavailable.class, route);
        }
    }

    @Test
    void digestLoginNeedsAuthPassExceptForSmtp() throws Exception {
        try (AuthServer auth = AuthServer.start(r -> AuthServer.ok("127.0.0.1", 110))) {
            for (Protocol p : Protocol.values()) {
                LoginRequest cram = new LoginRequest(p, "cram-md5", "bob", "b913a602c7eda7a495b4e6e7334d3890", "<1.2@h>", 1,
                        CLIENT, LOCAL, "s", null);
                Route route = router(auth).route(cram);
                if (p == Protocol.SMTP) assertEquals("", assertInstanceOf(Route.Ok.class, route).password());
                else assertInstanceOf(Route.Unavailable.class, route, p.id());
                // EXTERNAL: the certificate proves who it is, but gives no password either
                LoginRequest external = new LoginRequest(p, "external", "alice", "", "", 1, CLIENT, LOCAL, "s", null);
                Route ext = router(auth).route(external);
                if (p == Protocol.SMTP) assertInstanceOf(Route.Ok.class, ext);
                else assertInstanceOf(Route.Unavailable.class, ext, p.id());
            }
        }
    }

    @Test
    void downSlowOrMalformedAuthServerIsATemporaryFailure() throws Exception {
        int closedPort;
        try (ServerSocket ss = new ServerSocket(0)) {
            closedPort = ss.getLocalPort();
        }
        Route down = router(URI.create("http://127.0.0.1:" + closedPort + "/"), Duration.ofSeconds(2), Map.of(), null, Map.of())
                .route(plain(Protocol.POP3, "u", "p", 1));
        assertInstanceOf(Route.Unavailable.class, down);

        try (AuthServer auth = AuthServer.start(r -> AuthServer.ok("127.0.0.1", 110).delay(3000))) {
            Route slow = router(auth.url(), Duration.ofMillis(200), Map.of(), null, Map.of()).route(plain(Protocol.POP3, "u", "p", 1));
            assertTrue(assertInstanceOf(Route.Unavailable.class, slow).reason().contains("did not answer"));
        }

        try (ScriptedServer s = new ScriptedServer(peer -> {
                while (!"".equals(peer.readLine())) { /* request head */ }
                peer.send("220 this is not http\r\n");
             })) {
            Route bad = router(URI.create("http://127.0.0.1:" + s.port() + "/"), Duration.ofSeconds(2), Map.of(), null, Map.of())
                    .route(plain(Protocol.POP3, "u", "p", 1));
            assertTrue(assertInstanceOf(Route.Unavailable.class, bad).reason().contains("malformed"));
        }
    }
}
