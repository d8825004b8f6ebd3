package mailproxy.route;

import java.util.ArrayList;
import java.util.List;

/**
 * A move as {@link RedisAffinity} publishes it: the proxy that made it, the pool, the user,
 * the server before and after ('' for none). Each field is written as its length, a
 * colon and its text, so a user name may hold any character.
 */
record MoveMessage(String instance, String pool, String user, String from, String to) {

    static String encode(String instance, String pool, String user, String from, String to) {
        StringBuilder b = new StringBuilder();
        for (String f : new String[] {instance, pool, user, from == null ? "" : from, to == null ? "" : to}) {
            b.append(f.length()).append(':').append(f);
        }
        return b.toString();
    }

    /** null for anything that is not five fields. */
    static MoveMessage decode(String m) {
        List<String> f = new ArrayList<>(5);
        int i = 0;
        while (i < m.length() && f.size() < 5) {
            int colon = m.indexOf(':', i);
            if (colon < 0) return null;
            int n;
            try {
                n = Integer.parseInt(m.substring(i, colon));
            } catch (NumberFormatException e) {
                return null;
            }
            if (n < 0 || n > m.length() - colon - 1) return null; // (not colon + 1 + n: it overflows)
            f.add(m.substring(colon + 1, colon + 1 + n));
            i = colon + 1 + n;
        }
        if (f.size() != 5 || i != m.length()) return null;
        return new MoveMessage(f.get(0), f.get(1), f.get(2), f.get(3).isEmpty() ? null : f.get(3), f.get(4).isEmpty() ? null : f.get(4));
    }
}
