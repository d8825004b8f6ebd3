package mailproxy.server;

import mailproxy.config.ListenerConfig;
import mailproxy.config.ProxyConfig;
import mailproxy.route.Router;
import mailproxy.session.SessionFactory;

/** What a listener serves its connections with; a reload swaps it whole. */
record Binding(ProxyConfig config, ListenerConfig listener, Router router, SessionFactory protocol) {}
