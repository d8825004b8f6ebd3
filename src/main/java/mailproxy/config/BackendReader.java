package mailproxy.config;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import mailproxy.tls.TlsClient;

/** mailproxy.backends: one host or a pool of servers, with a section per protocol they serve. */
final class BackendReader {
    private BackendReader() {}

    static Map<String, Backend> read(Section m) {
        Section all = m.section("backends");
        Map<String, Backend> out = new LinkedHashMap<>();
        for (String name : m.entries("backends").keySet()) {
            Section b = all.section(name);
            boolean listed = b.has("servers");
            if (listed && b.has("host")) {
                throw b.error("servers", "host and servers exclude each other: one host = \"...\", or servers = [ { host = ... }, ... ]");
            }
            if (!listed && !b.has("host")) {
                throw b.error("host", "missing; expected host = \"...\" or servers = [ { host = \"...\" }, ... ]");
            }
            String host = listed ? "" : b.string("host");
            Map<Protocol, Backend.Section> sections = new EnumMap<>(Protocol.class);
            for (Protocol p : Protocol.values()) {
                Section s = b.optionalSection(p.id());
                if (s == null) continue;
                sections.put(p, p.backendSection().read(s, p));
                s.rejectUnknownKeys();
            }
            if (sections.isEmpty()) {
                throw all.error(name, "a backend needs at least one of " + Arrays.stream(Protocol.values())
                        .map(p -> p.id() + " { }").collect(Collectors.joining(", ")));
            }
            Set<Protocol> served = sections.keySet();
            boolean usesTls = sections.values().stream().anyMatch(section -> section.tls() != Backend.Tls.OFF);
            // with servers, the backend-wide client names no host (auth_http's backend-options
            // uses it for servers the auth server names); each server gets its own below
            TlsClient tlsClient = TlsReader.backend(b, host, usesTls);
            Backend.Pooling pooling = PoolReader.pooling(b, listed);
            List<Backend.Server> servers = listed
                    ? PoolReader.servers(b, served, usesTls)
                    : List.of(new Backend.Server(host, 1, Map.of(), tlsClient));
            b.rejectUnknownKeys();
            Backend backend = new Backend(name, host, sections, tlsClient, servers, pooling);
            PoolReader.rejectDuplicates(b, backend);
            out.put(name, backend);
        }
        return out;
    }
}
