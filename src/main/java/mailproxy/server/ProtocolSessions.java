package mailproxy.server;

import java.io.IOException;
import mailproxy.imap.ImapSession;
import mailproxy.pop3.Pop3Session;
import mailproxy.smtp.SmtpSession;

/** The one place that maps a listener's protocol to the session story that speaks it. */
final class ProtocolSessions {
    private ProtocolSessions() {}

    static void run(SessionContext ctx) throws IOException, InterruptedException {
        switch (ctx.listener().protocol()) {
            case POP3 -> new Pop3Session(ctx).run();
            case IMAP -> new ImapSession(ctx).run();
            case SMTP -> new SmtpSession(ctx).run();
        }
    }

    private static void unavailable(SessionContext ctx, String reply) throws IOException {
        ctx.client().writeLine(reply);
        ctx.outcome("not-implemented");
    }
}
