package io.mooncake.engine.transport.contract;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A seeded byte pattern that both sides of a contract test compute on their own: byte {@code k} of
 * the stream for {@code seed} is a function of {@code (seed, k)} only, so any sub-range can be
 * checked without the bytes that came before it and without going through the transport under test.
 *
 * <p>Bytes come from a SplitMix64 value per 8-byte word, little-endian, so filling and checking
 * run a long at a time. Stateless and thread-safe.
 */
public final class Pattern {

    private Pattern() {
    }

    /** The 8 bytes of word {@code word} (bytes {@code 8*word .. 8*word+7}) of the stream for {@code seed}. */
    static long word(long seed, long word) {
        long z = seed * 0x9E3779B97F4A7C15L + word * 0xBF58476D1CE4E5B9L + 0x632BE59BD9B4E5B1L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Byte {@code k} of the stream for {@code seed}. */
    public static byte byteAt(long seed, long k) {
        return (byte) (word(seed, k >>> 3) >>> ((k & 7) * 8));
    }

    /**
     * Writes stream bytes {@code [streamOffset, streamOffset + length)} for {@code seed} into
     * {@code buffer} at {@code [position, position + length)}.
     */
    public static void fill(ByteBuffer buffer, long position, long length, long seed, long streamOffset) {
        ByteBuffer b = buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long k = 0;
        // bytes up to the first word boundary of the stream
        while (k < length && ((streamOffset + k) & 7) != 0) {
            b.put(index(position + k), byteAt(seed, streamOffset + k));
            k++;
        }
        for (; k + 8 <= length; k += 8) {
            b.putLong(index(position + k), word(seed, (streamOffset + k) >>> 3));
        }
        for (; k < length; k++) {
            b.put(index(position + k), byteAt(seed, streamOffset + k));
        }
    }

    /** {@link #fill(ByteBuffer, long, long, long, long)} from the start of the stream. */
    public static void fill(ByteBuffer buffer, long position, long length, long seed) {
        fill(buffer, position, length, seed, 0);
    }

    /**
     * Compares {@code buffer} at {@code [position, position + length)} with stream bytes
     * {@code [streamOffset, streamOffset + length)} for {@code seed}.
     *
     * @return {@code null} when they match, otherwise the first difference in words
     */
    public static String mismatch(ByteBuffer buffer, long position, long length, long seed, long streamOffset) {
        ByteBuffer b = buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long k = 0;
        while (k < length && ((streamOffset + k) & 7) != 0) {
            if (b.get(index(position + k)) != byteAt(seed, streamOffset + k)) {
                return firstDifference(b, position, length, seed, streamOffset, k);
            }
            k++;
        }
        for (; k + 8 <= length; k += 8) {
            if (b.getLong(index(position + k)) != word(seed, (streamOffset + k) >>> 3)) {
                return firstDifference(b, position, length, seed, streamOffset, k);
            }
        }
        for (; k < length; k++) {
            if (b.get(index(position + k)) != byteAt(seed, streamOffset + k)) {
                return firstDifference(b, position, length, seed, streamOffset, k);
            }
        }
        return null;
    }

    /** {@link #mismatch(ByteBuffer, long, long, long, long)} from the start of the stream. */
    public static String mismatch(ByteBuffer buffer, long position, long length, long seed) {
        return mismatch(buffer, position, length, seed, 0);
    }

    private static String firstDifference(ByteBuffer b, long position, long length, long seed, long streamOffset,
            long from) {
        long k = from;
        while (k < length && b.get(index(position + k)) == byteAt(seed, streamOffset + k)) {
            k++;
        }
        long differing = 0;
        for (long j = k; j < length; j++) {
            if (b.get(index(position + j)) != byteAt(seed, streamOffset + j)) {
                differing++;
            }
        }
        return String.format("first difference at byte %d of %d (buffer offset %d): expected 0x%02x, found 0x%02x; "
                + "%d of the remaining %d bytes differ", k, length, position + k,
                byteAt(seed, streamOffset + k) & 0xff, b.get(index(position + k)) & 0xff, differing, length - k);
    }

    private static int index(long position) {
        return Math.toIntExact(position);
    }
}
