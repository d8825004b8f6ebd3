package mailproxy.session;

/** Makes a protocol's session story for one client; the server keeps one per protocol. */
@FunctionalInterface
public interface SessionFactory {
    ProtocolSession create(Session session);
}
