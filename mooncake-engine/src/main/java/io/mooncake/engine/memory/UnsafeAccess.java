package io.mooncake.engine.memory;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import sun.misc.Unsafe;

/**
 * The JDK 17 to 21 backend of {@link NativeMemory}: {@code sun.misc.Unsafe}.
 *
 * <p>Initialised only when chosen (its static initialiser calls {@code objectFieldOffset}, one of
 * the memory-access methods JDK 24+ warns about), so on JDK 22+ this class is never loaded unless
 * {@code -Dmooncake.memory.access=unsafe} asks for it or {@code java.lang.foreign} is unusable.
 */
final class UnsafeAccess {

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

    private UnsafeAccess() {
    }

    static long allocate(long length) {
        return UNSAFE.allocateMemory(length);
    }

    static void free(long address) {
        UNSAFE.freeMemory(address);
    }

    static void copy(long from, long to, long length) {
        UNSAFE.copyMemory(from, to, length);
    }

    static void fill(long address, long length, byte value) {
        UNSAFE.setMemory(address, length, value);
    }

    static byte getByte(long address) {
        return UNSAFE.getByte(address);
    }

    static void putByte(long address, byte value) {
        UNSAFE.putByte(address, value);
    }

    static long addressOf(ByteBuffer direct) {
        return UNSAFE.getLong(direct, ADDRESS_OFFSET);
    }

    static ByteBuffer view(long address, int length) {
        ByteBuffer b = ByteBuffer.allocateDirect(0);
        point(b, address, length);
        return b;
    }

    /** Re-points a direct buffer at other memory: position 0, limit and capacity {@code length}. */
    static void point(ByteBuffer b, long address, int length) {
        UNSAFE.putLong(b, ADDRESS_OFFSET, address);
        UNSAFE.putInt(b, CAPACITY_OFFSET, length);
        b.clear();
    }

    /** Maps {@code [0, length)} of the file read-write and shared; {@code length} fits an int. */
    static NativeMemory.Mapping map(FileChannel channel, long length) throws IOException {
        MappedByteBuffer buffer = channel.map(FileChannel.MapMode.READ_WRITE, 0, length);
        return new NativeMemory.Mapping(addressOf(buffer), () -> UNSAFE.invokeCleaner(buffer));
    }
}
