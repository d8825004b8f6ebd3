package mailproxy.route;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Weighted rendezvous (highest random weight) hashing: for each server s,
 * {@code score = -weight_s / ln(h(key, s))} with h uniform in (0,1); the server with the
 * highest score gets the user, and descending score is the user's fallback order. A server
 * that joins takes about {@code w_new / Σw} of the users, all from the others, and no user
 * moves between the others; a server that leaves hands on only its own users (each to their
 * second choice) (Thaler and Ravishankar, "Using name-based mappings to increase hit
 * rates", 1998). Why -w/ln(h): -ln(h) is exponentially distributed, so the highest score is
 * the lowest of exponentials with rates w_s, and server s wins with probability w_s / Σw.
 *
 * <p>The hash must give every proxy, every JVM and every release the same answer, so it is
 * spelt out here: 64-bit FNV-1a of the key's UTF-8 bytes, XORed with the server's hash
 * (FNV-1a of its id, mixed), through the splitmix64 finalizer (Steele, Lea, Flood 2014);
 * the top 53 bits make the double.
 */
final class UserHash implements Balancer {
    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    @Override
    public List<PoolServer> order(String key, List<PoolServer> from, int max) {
        long k = fnv1a(key);
        record Scored(PoolServer server, double score) {}
        List<Scored> scored = new ArrayList<>(from.size());
        for (PoolServer s : from) scored.add(new Scored(s, score(k, s.hashId(), s.weight())));
        scored.sort((a, b) -> a.score != b.score ? Double.compare(b.score, a.score) : a.server.id().compareTo(b.server.id()));
        List<PoolServer> out = new ArrayList<>(Math.min(max, scored.size()));
        for (int i = 0; i < scored.size() && i < max; i++) out.add(scored.get(i).server);
        return out;
    }

    /** -weight / ln(h): higher is better; h in (0,1) so ln(h) &lt; 0. */
    static double score(long keyHash, long serverHash, int weight) {
        return -weight / Math.log(unit(mix(keyHash ^ serverHash)));
    }

    static long serverHash(String id) {
        return mix(fnv1a(id));
    }

    static long fnv1a(String s) {
        long h = FNV_OFFSET;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= FNV_PRIME;
        }
        return h;
    }

    /** splitmix64's finalizer: a bijection in which every input bit flips about half the output bits. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** The top 53 bits as a double strictly inside (0,1): ln never sees 0 or 1. */
    static double unit(long h) {
        return ((h >>> 11) + 0.5) * 0x1.0p-53;
    }
}
