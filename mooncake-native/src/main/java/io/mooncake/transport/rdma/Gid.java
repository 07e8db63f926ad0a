package io.mooncake.transport.rdma;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;

/**
 * GIDs as the reference writes them in descriptors and handshakes: 16 bytes as lowercase hex
 * pairs joined by {@code :} ({@code fe:80:00:...}).
 */
public final class Gid {

    private Gid() {
    }

    /** The text form of 16 raw bytes. */
    public static String format(byte[] raw) {
        if (raw.length != 16) {
            throw new IllegalArgumentException("a GID has 16 bytes, not " + raw.length);
        }
        StringBuilder b = new StringBuilder(47);
        for (int i = 0; i < 16; i++) {
            if (i > 0) {
                b.append(':');
            }
            b.append(Character.forDigit((raw[i] >> 4) & 0xf, 16)).append(Character.forDigit(raw[i] & 0xf, 16));
        }
        return b.toString();
    }

    /**
     * Parses the text form. Like the reference, each of the 16 colon-separated fields may have one
     * or two hex digits; anything else is rejected with the origin named.
     *
     * @param origin where the text came from, for the message (e.g. "peer node-b:123 device mlx5_0")
     */
    public static byte[] parse(String text, String origin) {
        String[] parts = text == null ? new String[0] : text.split(":", -1);
        if (parts.length != 16) {
            throw bad(text, origin);
        }
        byte[] raw = new byte[16];
        for (int i = 0; i < 16; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 2) {
                throw bad(text, origin);
            }
            int v = 0;
            for (int k = 0; k < p.length(); k++) {
                int d = Character.digit(p.charAt(k), 16);
                if (d < 0) {
                    throw bad(text, origin);
                }
                v = v * 16 + d;
            }
            raw[i] = (byte) v;
        }
        return raw;
    }

    /** Whether all bytes are zero (an unusable GID; the reference refuses it). */
    public static boolean isNull(byte[] raw) {
        for (byte b : raw) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    /** Whether the GID is an IPv4-mapped IPv6 address ({@code ::ffff:a.b.c.d}, or the IPv4 multicast form). */
    public static boolean isIpv4Mapped(byte[] raw) {
        boolean zeros = true;
        for (int i = 0; i < 10; i++) {
            zeros &= raw[i] == 0;
        }
        if (zeros && raw[10] == (byte) 0xff && raw[11] == (byte) 0xff) {
            return true;
        }
        // ff0e::ffff:a.b.c.d
        boolean multicast = raw[0] == (byte) 0xff && raw[1] == 0x0e;
        for (int i = 2; i < 10; i++) {
            multicast &= raw[i] == 0;
        }
        return multicast && raw[10] == (byte) 0xff && raw[11] == (byte) 0xff;
    }

    private static MooncakeException bad(String text, String origin) {
        return new MooncakeException(ErrorCode.MALFORMED_JSON, "malformed gid '" + text + "' from " + origin
                + "; expected 16 hex bytes joined by ':' (fe:80:00:00:00:00:00:00:0a:0b:0c:ff:fe:0d:0e:0f)");
    }
}
