package mailproxy.server;

import java.io.IOException;
import mailproxy.pop3.Pop3Session;

/** The one place that maps a listener's protocol to the session story that speaks it. */
final class ProtocolSessions {
    private ProtocolSessions() {}

    static void run(SessionContext ctx) throws IOException, InterruptedException {
        switch (ctx.listener().protocol()) {
            case POP3 -> new Pop3Session(ctx).run();
            case IMAP, SMTP -> {
                ctx.client().writeLine(ctx.listener().protocol() == mailproxy.config.Protocol.SMTP
                        ? "421 4.3.0 not available yet" : "* BYE not available yet");
                ctx.outcome("not-implemented");
            }
        }
    }
}
