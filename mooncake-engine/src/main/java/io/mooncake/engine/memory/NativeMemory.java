package io.mooncake.engine.memory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Raw off-heap memory access without JNI: allocation, copies, byte access, direct
 * {@link ByteBuffer} views of arbitrary addresses and shared file mappings.
 *
 * <p>Two backends, picked once at class initialisation:
 * <ul>
 * <li>JDK 22 and later: {@code java.lang.foreign} ({@link ForeignAccess}), reached through
 * method handles held in {@code static final} fields, so hot calls inline. {@code sun.misc.Unsafe}'s
 * memory methods print a warning from JDK 24 and are scheduled to throw later; this backend never
 * touches them.</li>
 * <li>JDK 17 to 21: {@code sun.misc.Unsafe} ({@link UnsafeAccess}), as before.</li>
 * </ul>
 * The system property {@code mooncake.memory.access} ({@code auto}, the default; {@code foreign};
 * {@code unsafe}) overrides the choice; {@code foreign} where the JDK lacks it, or a
 * {@code java.lang.foreign} that cannot initialise (for instance under
 * {@code --illegal-native-access=deny}), falls back to {@code Unsafe} with a WARN line saying why.
 *
 * <p>Nothing here checks bounds: callers check against the {@link MemoryRegistry} first.
 * Thread-safe (stateless).
 */
public final class NativeMemory {

    private static final Logger log = LoggerFactory.getLogger(NativeMemory.class);

    /** The system property that overrides the backend: {@code auto}, {@code foreign} or {@code unsafe}. */
    public static final String ACCESS_PROPERTY = "mooncake.memory.access";

    /** Whether {@link ForeignAccess} serves every call; constant after class init, so the JIT folds each branch. */
    static final boolean FOREIGN = chooseForeign();

    private NativeMemory() {
    }

    private static boolean chooseForeign() {
        int feature = Runtime.version().feature();
        String wanted = System.getProperty(ACCESS_PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
        if (wanted.equals("unsafe")) {
            log.info("Native memory access through sun.misc.Unsafe (-D{}=unsafe, JDK {})", ACCESS_PROPERTY, feature);
            return false;
        }
        if (!wanted.equals("auto") && !wanted.equals("foreign")) {
            log.warn("Ignoring -D{}={}: expected auto, foreign or unsafe", ACCESS_PROPERTY, wanted);
        }
        if (feature < 22) {
            if (wanted.equals("foreign")) {
                log.warn("-D{}=foreign needs JDK 22 or later (this is JDK {}); using sun.misc.Unsafe",
                        ACCESS_PROPERTY, feature);
            }
            log.info("Native memory access through sun.misc.Unsafe (JDK {})", feature);
            return false;
        }
        try {
            ForeignAccess.init();
            log.info("Native memory access through java.lang.foreign (JDK {})", feature);
            return true;
        } catch (LinkageError e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            log.warn("java.lang.foreign is not usable on this JDK {} ({}); using sun.misc.Unsafe, which warns and "
                    + "will stop working in a later JDK. Run with --enable-native-access=ALL-UNNAMED "
                    + "(or the manifest entry Enable-Native-Access: ALL-UNNAMED)", feature, cause.toString());
            return false;
        }
    }

    /** Which backend serves the calls: {@code "foreign"} or {@code "unsafe"}. */
    static String access() {
        return FOREIGN ? "foreign" : "unsafe";
    }

    /**
     * Allocates {@code length} bytes of uninitialised native memory; free with {@link #free}.
     *
     * @throws OutOfMemoryError when the C allocator returns nothing
     */
    public static long allocate(long length) {
        return FOREIGN ? ForeignAccess.allocate(length) : UnsafeAccess.allocate(length);
    }

    /** Frees memory from {@link #allocate}. */
    public static void free(long address) {
        if (FOREIGN) {
            ForeignAccess.free(address);
        } else {
            UnsafeAccess.free(address);
        }
    }

    /** Copies {@code length} bytes between native addresses (regions may not overlap). */
    public static void copy(long from, long to, long length) {
        if (FOREIGN) {
            ForeignAccess.copy(from, to, length);
        } else {
            UnsafeAccess.copy(from, to, length);
        }
    }

    /** Fills {@code length} bytes at {@code address} with {@code value}. */
    public static void fill(long address, long length, byte value) {
        if (FOREIGN) {
            ForeignAccess.fill(address, length, value);
        } else {
            UnsafeAccess.fill(address, length, value);
        }
    }

    public static byte getByte(long address) {
        return FOREIGN ? ForeignAccess.getByte(address) : UnsafeAccess.getByte(address);
    }

    public static void putByte(long address, byte value) {
        if (FOREIGN) {
            ForeignAccess.putByte(address, value);
        } else {
            UnsafeAccess.putByte(address, value);
        }
    }

    /** The native address of a direct buffer's first byte (ignores position). */
    public static long addressOf(ByteBuffer direct) {
        if (!direct.isDirect()) {
            throw new IllegalArgumentException("buffer is not direct; use ByteBuffer.allocateDirect");
        }
        return FOREIGN ? ForeignAccess.addressOf(direct) : UnsafeAccess.addressOf(direct);
    }

    /**
     * The largest {@link #view}: {@code Integer.MAX_VALUE - 8} bytes, what {@code java.lang.foreign}
     * wraps as a buffer (the same on both backends, so behaviour does not depend on the JDK).
     */
    public static final int MAX_VIEW = Integer.MAX_VALUE - 8;

    /**
     * A new direct buffer over {@code [address, address + length)} (position 0, limit and capacity
     * {@code length}, big-endian as every new buffer); the caller keeps the memory alive.
     *
     * @throws IllegalArgumentException when {@code length} is negative or above {@link #MAX_VIEW}
     */
    public static ByteBuffer view(long address, int length) {
        if (length < 0 || length > MAX_VIEW) {
            throw new IllegalArgumentException("cannot view " + length + " bytes: a buffer holds 0 to " + MAX_VIEW);
        }
        return FOREIGN ? ForeignAccess.view(address, length) : UnsafeAccess.view(address, length);
    }

    /** A mapped file range: its address and what unmaps it. */
    record Mapping(long address, AutoCloseable unmapper) {
    }

    /**
     * The largest length {@link #map} accepts: {@link Integer#MAX_VALUE} on the {@code Unsafe}
     * backend ({@code FileChannel.map} returns a {@code MappedByteBuffer}, indexed by int), else
     * {@link Long#MAX_VALUE}.
     */
    static long maxMappingLength() {
        return FOREIGN ? Long.MAX_VALUE : Integer.MAX_VALUE;
    }

    /** Maps {@code [0, length)} of {@code channel}'s file read-write, {@code MAP_SHARED}; at most {@link #maxMappingLength}. */
    static Mapping map(FileChannel channel, long length) throws IOException {
        return FOREIGN ? ForeignAccess.map(channel, length) : UnsafeAccess.map(channel, length);
    }
}
