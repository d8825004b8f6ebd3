package mailproxy.tls;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;

/** Names inside certificates: SAN entries, the subject CN, and host name matching. */
final class CertNames {
    /** GeneralName tags, RFC 5280 §4.2.1.6. */
    static final int SAN_EMAIL = 1;
    static final int SAN_DNS = 2;

    private CertNames() {
    }

    /** Subject alternative names of one GeneralName kind, in certificate order. */
    static List<String> san(X509Certificate cert, int kind) {
        List<String> out = new ArrayList<>();
        try {
            Collection<List<?>> all = cert.getSubjectAlternativeNames();
            if (all != null) {
                for (List<?> entry : all) {
                    if (entry.size() >= 2 && entry.get(0) instanceof Integer k && k == kind
                            && entry.get(1) instanceof String s) {
                        out.add(s);
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // A broken SAN extension names nothing; the caller falls back or finds no match.
        }
        return out;
    }

    /** The most specific CN of a distinguished name (RFC 2253 lists it first). */
    static Optional<String> commonName(X500Principal principal) {
        try {
            List<Rdn> rdns = new LdapName(principal.getName(X500Principal.RFC2253)).getRdns();
            // LdapName lists RDNs from the most general (index 0) to the most specific.
            for (int i = rdns.size() - 1; i >= 0; i--) {
                if (rdns.get(i).getType().equalsIgnoreCase("CN")) {
                    return Optional.of(String.valueOf(rdns.get(i).getValue()));
                }
            }
        } catch (InvalidNameException e) {
            // The JDK produced this name itself; an unparsable one simply has no CN for us.
        }
        return Optional.empty();
    }

    /**
     * Host names a server certificate answers for, lower case. RFC 6125 §6.4.4: the CN is
     * only looked at when there are no DNS-ID (SAN dNSName) entries.
     */
    static List<String> hostNames(X509Certificate cert) {
        List<String> dns = san(cert, SAN_DNS);
        if (dns.isEmpty()) {
            dns = commonName(cert.getSubjectX500Principal()).map(List::of).orElse(List.of());
        }
        return dns.stream().map(n -> n.toLowerCase(Locale.ROOT)).toList();
    }

    /**
     * RFC 6125 §6.4.3, as browsers apply it: {@code *.example.org} matches exactly one
     * leftmost label ({@code imap.example.org}), not {@code example.org} and not
     * {@code a.b.example.org}. Both arguments lower case.
     */
    static boolean matches(String pattern, String host) {
        if (!pattern.startsWith("*.")) {
            return pattern.equals(host);
        }
        String suffix = pattern.substring(1); // ".example.org"
        if (!host.endsWith(suffix)) {
            return false;
        }
        String label = host.substring(0, host.length() - suffix.length());
        return !label.isEmpty() && label.indexOf('.') < 0;
    }
}
