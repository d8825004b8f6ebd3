package mailproxy.server;

import mailproxy.config.ListenerConfig;
import mailproxy.config.ProxyConfig;
import mailproxy.guard.Guard;
import mailproxy.route.Router;
import mailproxy.session.SessionFactory;

/** What a listener serves its connections with; a reload swaps it whole. */
record Binding(ProxyConfig config, ListenerConfig listener, Router router, Guard guard, SessionFactory protocol) {}
