package mailproxy.wire;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

/**
 * What a PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and 2) says about
 * a connection: on whose behalf a load balancer opened it.
 *
 * @param command PROXY (relayed: the addresses are the original client's and the address
 *     it connected to) or LOCAL (the balancer's own connection, a health check: use the
 *     socket's addresses)
 * @param transport TCP4, TCP6, or UNKNOWN (v1 UNKNOWN, v2 UNSPEC, UDP or unix sockets, and
 *     every LOCAL header: the spec says to ignore the family then)
 * @param source the original client; null unless PROXY over TCP4/TCP6
 * @param destination the address the client connected to; null unless PROXY over TCP4/TCP6
 */
public record ProxyHeader(Command command, Transport transport, InetSocketAddress source, InetSocketAddress destination) {

    public enum Command { PROXY, LOCAL }

    public enum Transport { TCP4, TCP6, UNKNOWN }

    /** True when the header names the client: use {@link #source()} instead of the socket's peer. */
    public boolean hasAddresses() {
        return source != null;
    }

    /**
     * Reads one header, version 1 or 2, from a freshly accepted socket: before TLS, before
     * the greeting, before any buffered reader exists. Never reads a byte past the header
     * (a TLS ClientHello may be in the same packet). IPv4-mapped IPv6 addresses in a TCP6
     * header come back as IPv4 addresses, the way Java's own sockets report such peers.
     *
     * @param deadline bound on the whole header, however slowly its bytes arrive; the
     *     socket's read timeout is set to the time left before each read and put back after
     * @throws ProxyHeaderException no header, a malformed one, the peer closed or the deadline passed
     */
    public static ProxyHeader read(Socket socket, Duration deadline) throws ProxyHeaderException {
        int before;
        try {
            before = socket.getSoTimeout();
        } catch (IOException e) {
            throw new ProxyHeaderException("cannot read the PROXY header: " + LogSafe.text(e.getMessage()));
        }
        try {
            return new ProxyHeaderReader(socket.getInputStream(), socket, deadline).read();
        } catch (ProxyHeaderException e) {
            throw e;
        } catch (IOException e) {
            throw new ProxyHeaderException("cannot read the PROXY header: " + LogSafe.text(e.getMessage()));
        } finally {
            try {
                if (!socket.isClosed()) socket.setSoTimeout(before);
            } catch (IOException ignored) {
                // the socket broke; the caller finds out on its next read
            }
        }
    }
}
