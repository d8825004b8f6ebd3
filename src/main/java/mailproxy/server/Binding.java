package mailproxy.server;

import mailproxy.config.ListenerConfig;
import mailproxy.config.ProxyConfig;
import mailproxy.guard.Guard;
import mailproxy.route.Router;
import mailproxy.session.SessionFactory;
import mailproxy.session.SessionMeters;
import mailproxy.trace.TraceSwitch;

/**
 * What a listener serves its connections with; a reload swaps it whole. {@code meters}
 * are the listener's metric children, resolved once here, not per connection.
 */
record Binding(ProxyConfig config, ListenerConfig listener, Router router, Guard guard, SessionFactory protocol,
               SessionMeters meters, TraceSwitch trace) {}
