package io.mooncake.engine.memory;

import java.lang.reflect.Field;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import sun.misc.Unsafe;

/**
 * Raw off-heap memory access for Java 17 without JNI: allocation, copies and direct
 * {@link ByteBuffer} views of arbitrary addresses.
 *
 * <p>Views are made by re-pointing a direct buffer's {@code address} and {@code capacity}, which
 * lets an I/O thread keep one {@link MemoryWindow} per connection and point it at each slice
 * without allocating. Nothing here checks bounds: callers check against the
 * {@link MemoryRegistry} first. Thread-safe (stateless).
 */
public final class NativeMemory {

    private static final Unsafe UNSAFE;
    private static final long ADDRESS_OFFSET;
    private static final long CAPACITY_OFFSET;

    static {
        try {
            Field f = Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            UNSAFE = (Unsafe) f.get(null);
            ADDRESS_OFFSET = UNSAFE.objectFieldOffset(Buffer.class.getDeclaredField("address"));
            CAPACITY_OFFSET = UNSAFE.objectFieldOffset(Buffer.class.getDeclaredField("capacity"));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError("sun.misc.Unsafe is not usable on this JVM: " + e);
        }
    }

    private NativeMemory() {
    }

    /** Allocates {@code length} bytes of uninitialised native memory; free with {@link #free}. */
    public static long allocate(long length) {
        return UNSAFE.allocateMemory(length);
    }

    /** Frees memory from {@link #allocate}. */
    public static void free(long address) {
        UNSAFE.freeMemory(address);
    }

    /** Copies {@code length} bytes between native addresses (regions may not overlap). */
    public static void copy(long from, long to, long length) {
        UNSAFE.copyMemory(from, to, length);
    }

    /** Fills {@code length} bytes at {@code address} with {@code value}. */
    public static void fill(long address, long length, byte value) {
        UNSAFE.setMemory(address, length, value);
    }

    public static byte getByte(long address) {
        return UNSAFE.getByte(address);
    }

    public static void putByte(long address, byte value) {
        UNSAFE.putByte(address, value);
    }

    /** The native address of a direct buffer's first byte (ignores position). */
    public static long addressOf(ByteBuffer direct) {
        if (!direct.isDirect()) {
            throw new IllegalArgumentException("buffer is not direct; use ByteBuffer.allocateDirect");
        }
        return UNSAFE.getLong(direct, ADDRESS_OFFSET);
    }

    /** A new direct buffer over {@code [address, address + length)}; the caller keeps the memory alive. */
    public static ByteBuffer view(long address, int length) {
        ByteBuffer b = ByteBuffer.allocateDirect(0);
        point(b, address, length);
        return b;
    }

    /** Re-points a direct buffer made by {@link #view} or {@link MemoryWindow} at other memory. */
    static void point(ByteBuffer b, long address, int length) {
        UNSAFE.putLong(b, ADDRESS_OFFSET, address);
        UNSAFE.putInt(b, CAPACITY_OFFSET, length);
        b.clear();
    }
}
