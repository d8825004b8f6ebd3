package mailproxy.server;

import java.io.IOException;
import mailproxy.pop3.Pop3Session;

/** The one place that maps a listener's protocol to the session story that speaks it. */
final class ProtocolSessions {
    private ProtocolSessions() {}

    static void run(SessionContext ctx) throws IOException, InterruptedException {
        switch (ctx.listener().protocol()) {
            case POP3 -> new Pop3Session(ctx).run();
            case IMAP -> new mailproxy.imap.ImapSession(ctx).run();
            case SMTP -> unavailable(ctx, "421 4.3.0 SMTP is not served yet");
        }
    }

    private static void unavailable(SessionContext ctx, String reply) throws IOException {
        ctx.client().writeLine(reply);
        ctx.outcome("not-implemented");
    }
}
