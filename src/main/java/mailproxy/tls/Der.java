package mailproxy.tls;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * Just enough DER (ITU-T X.690 §8, §10) to look inside private keys and to wrap PKCS#1 and
 * SEC1 keys into PKCS#8 (RFC 5208 §5), which is the only form {@code KeyFactory} reads.
 * Reading is bounds-checked: a malformed key gives an {@link IllegalArgumentException},
 * never an index error or a huge allocation.
 */
final class Der {
    static final int INTEGER = 0x02;
    static final int BIT_STRING = 0x03;
    static final int OCTET_STRING = 0x04;
    static final int NULL = 0x05;
    static final int OID = 0x06;
    static final int SEQUENCE = 0x30;
    /** Context-specific, constructed, tag number 0: {@code [0]} in ASN.1. */
    static final int CONTEXT_0 = 0xA0;

    private Der() {
    }

    /** One TLV element; {@code encoded} is the whole element, {@code value} its contents. */
    record Element(int tag, byte[] encoded, byte[] value) {
        List<Element> children() {
            return readAll(value);
        }
    }

    /** Reads the single element that must fill {@code der} exactly. */
    static Element read(byte[] der) {
        List<Element> all = readAll(der);
        if (all.size() != 1) {
            throw new IllegalArgumentException("expected one DER element, found " + all.size());
        }
        return all.get(0);
    }

    /** Reads consecutive elements until the input ends. */
    static List<Element> readAll(byte[] der) {
        List<Element> out = new ArrayList<>();
        int pos = 0;
        while (pos < der.length) {
            int start = pos;
            int tag = der[pos++] & 0xFF;
            if ((tag & 0x1F) == 0x1F) {
                throw new IllegalArgumentException("multi-byte DER tags are not used in keys");
            }
            if (pos >= der.length) {
                throw new IllegalArgumentException("DER element truncated after tag");
            }
            int first = der[pos++] & 0xFF;
            long length;
            if (first < 0x80) {
                length = first;
            } else {
                // X.690 §8.1.3.5: long form, 1..4 length bytes are plenty for a key file.
                int n = first & 0x7F;
                if (n == 0 || n > 4 || pos + n > der.length) {
                    throw new IllegalArgumentException("bad DER length");
                }
                length = 0;
                for (int i = 0; i < n; i++) {
                    length = (length << 8) | (der[pos++] & 0xFF);
                }
            }
            if (length > der.length - pos) {
                throw new IllegalArgumentException("DER element longer than its input");
            }
            int end = pos + (int) length;
            out.add(new Element(tag, slice(der, start, end), slice(der, pos, end)));
            pos = end;
        }
        return out;
    }

    /** Decodes an OBJECT IDENTIFIER's contents to dotted form (X.690 §8.19). */
    static String oidToString(byte[] value) {
        if (value.length == 0) {
            throw new IllegalArgumentException("empty OID");
        }
        StringBuilder sb = new StringBuilder();
        BigInteger arc = BigInteger.ZERO;
        boolean firstArc = true;
        for (int i = 0; i < value.length; i++) {
            if (value.length - i > 64) {
                throw new IllegalArgumentException("OID too long");
            }
            arc = arc.shiftLeft(7).or(BigInteger.valueOf(value[i] & 0x7F));
            if ((value[i] & 0x80) != 0) {
                if (i == value.length - 1) {
                    throw new IllegalArgumentException("OID truncated");
                }
                continue;
            }
            if (firstArc) {
                // The first sub-identifier packs the first two arcs as 40 * a + b.
                int a = arc.compareTo(BigInteger.valueOf(80)) >= 0 ? 2 : arc.intValue() / 40;
                sb.append(a).append('.').append(arc.subtract(BigInteger.valueOf(40L * a)));
                firstArc = false;
            } else {
                sb.append('.').append(arc);
            }
            arc = BigInteger.ZERO;
        }
        return sb.toString();
    }

    static byte[] oid(String dotted) {
        String[] parts = dotted.split("\\.");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long first = Long.parseLong(parts[0]) * 40 + Long.parseLong(parts[1]);
        writeBase128(out, first);
        for (int i = 2; i < parts.length; i++) {
            writeBase128(out, Long.parseLong(parts[i]));
        }
        return tlv(OID, out.toByteArray());
    }

    private static void writeBase128(ByteArrayOutputStream out, long v) {
        int groups = 1;
        for (long t = v >>> 7; t != 0; t >>>= 7) {
            groups++;
        }
        for (int g = groups - 1; g >= 0; g--) {
            int b = (int) ((v >>> (7 * g)) & 0x7F);
            out.write(g == 0 ? b : b | 0x80);
        }
    }

    static byte[] integer(int v) {
        return tlv(INTEGER, BigInteger.valueOf(v).toByteArray());
    }

    static byte[] nul() {
        return new byte[] {NULL, 0};
    }

    static byte[] octetString(byte[] content) {
        return tlv(OCTET_STRING, content);
    }

    static byte[] sequence(byte[]... parts) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            body.writeBytes(p);
        }
        return tlv(SEQUENCE, body.toByteArray());
    }

    static byte[] tlv(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
        out.write(tag);
        int len = content.length;
        if (len < 0x80) {
            out.write(len);
        } else {
            int n = len > 0xFFFFFF ? 4 : len > 0xFFFF ? 3 : len > 0xFF ? 2 : 1;
            out.write(0x80 | n);
            for (int i = n - 1; i >= 0; i--) {
                out.write(len >>> (8 * i));
            }
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static byte[] slice(byte[] b, int from, int to) {
        byte[] out = new byte[to - from];
        System.arraycopy(b, from, out, 0, out.length);
        return out;
    }
}
