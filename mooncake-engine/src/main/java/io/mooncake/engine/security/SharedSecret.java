package io.mooncake.engine.security;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The secret every node of a cluster shares ({@code mooncake.auth.secret},
 * {@code MOONCAKE_AUTH_SECRET}). It never leaves this object: {@link #toString()} is redacted, and
 * the only thing computed from it is an HMAC-SHA256. Immutable and thread-safe.
 */
public final class SharedSecret {

    /** Fewest bytes accepted: a shorter secret could be guessed offline from one recorded exchange. */
    public static final int MIN_BYTES = 16;

    private static final String HMAC = "HmacSHA256";

    private final SecretKeySpec key;

    private SharedSecret(byte[] bytes) {
        this.key = new SecretKeySpec(bytes, HMAC);
        Arrays.fill(bytes, (byte) 0);
    }

    /**
     * The secret given as text (UTF-8 bytes, surrounding white space removed: a Kubernetes Secret
     * made from a file often ends in a newline).
     *
     * @param origin where it came from, named in errors (never the value)
     * @throws MooncakeException when it is shorter than {@value #MIN_BYTES} bytes
     */
    public static SharedSecret of(String text, String origin) {
        byte[] bytes = text == null ? new byte[0] : text.strip().getBytes(StandardCharsets.UTF_8);
        if (bytes.length < MIN_BYTES) {
            int n = bytes.length;
            Arrays.fill(bytes, (byte) 0);
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, origin + " is " + n + " byte(s) long; a shared "
                    + "secret needs at least " + MIN_BYTES + " (generate one with: openssl rand -hex 32)");
        }
        return new SharedSecret(bytes);
    }

    /** HMAC-SHA256 of the concatenation of {@code parts} under this secret. */
    byte[] hmac(byte[]... parts) {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(key);
            for (byte[] p : parts) {
                mac.update(p);
            }
            return mac.doFinal();
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable in this JVM", e);
        }
    }

    @Override
    public String toString() {
        return "SharedSecret[redacted]";
    }
}
