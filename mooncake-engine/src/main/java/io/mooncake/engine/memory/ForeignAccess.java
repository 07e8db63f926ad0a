package io.mooncake.engine.memory;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Array;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Optional;

/**
 * The JDK 22+ backend of {@link NativeMemory}: {@code java.lang.foreign}, reached reflectively so
 * the engine still compiles with {@code --release 17} on a JDK 17.
 *
 * <p>Every address is an offset into one "everything" segment ({@code MemorySegment.NULL}
 * reinterpreted to {@code Long.MAX_VALUE} bytes, global scope: never closed, no liveness checks).
 * Each operation is a {@link MethodHandle} built once here with that segment (and the byte layout)
 * bound in, held in a {@code static final} field and called with {@code invokeExact}: the JIT treats
 * such handles as constants and inlines them down to the same intrinsics {@code Unsafe} used.
 * {@code malloc} and {@code free} are downcalls through the native linker, with {@code size_t} and
 * the returned pointer passed as 64-bit longs (identical to pointers on every LP64/LLP64 ABI the
 * JDK supports), so no segment is allocated per call.
 *
 * <p>{@code MemorySegment.reinterpret} and {@code Linker.downcallHandle} are restricted methods:
 * without {@code --enable-native-access=ALL-UNNAMED} (or the jar manifest's
 * {@code Enable-Native-Access: ALL-UNNAMED}) the JDK prints a one-time warning, and with
 * {@code --illegal-native-access=deny} this class fails to initialise and {@link NativeMemory}
 * falls back to {@code Unsafe}, saying why.
 */
final class ForeignAccess {

    private static final MethodHandle GET_BYTE; // (long address) byte
    private static final MethodHandle PUT_BYTE; // (long address, byte value) void
    private static final MethodHandle COPY; // (long from, long to, long length) void
    private static final MethodHandle FILL; // (long address, long length, byte value) void
    private static final MethodHandle VIEW; // (long address, long length) ByteBuffer
    private static final MethodHandle BUFFER_ADDRESS; // (Buffer) long: address of the buffer's position
    private static final MethodHandle MALLOC; // (long size) long
    private static final MethodHandle FREE; // (long pointer) void

    private static final Class<?> ARENA;
    private static final Method ARENA_OF_SHARED;
    private static final Method MAP; // FileChannel.map(MapMode, long, long, Arena) -> MemorySegment
    private static final Method SEGMENT_ADDRESS;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            Class<?> segment = Class.forName("java.lang.foreign.MemorySegment");
            Class<?> valueLayout = Class.forName("java.lang.foreign.ValueLayout");
            Class<?> ofByte = Class.forName("java.lang.foreign.ValueLayout$OfByte");
            Class<?> memoryLayout = Class.forName("java.lang.foreign.MemoryLayout");
            Class<?> linkerClass = Class.forName("java.lang.foreign.Linker");
            Class<?> linkerOption = Class.forName("java.lang.foreign.Linker$Option");
            Class<?> symbolLookup = Class.forName("java.lang.foreign.SymbolLookup");
            Class<?> functionDescriptor = Class.forName("java.lang.foreign.FunctionDescriptor");
            ARENA = Class.forName("java.lang.foreign.Arena");

            Object nullSegment = segment.getField("NULL").get(null);
            Object everything = segment.getMethod("reinterpret", long.class).invoke(nullSegment, Long.MAX_VALUE);
            Object javaByte = valueLayout.getField("JAVA_BYTE").get(null);
            Object javaLong = valueLayout.getField("JAVA_LONG").get(null);

            GET_BYTE = MethodHandles.insertArguments(
                    lookup.findVirtual(segment, "get", MethodType.methodType(byte.class, ofByte, long.class)),
                    0, everything, javaByte);
            PUT_BYTE = MethodHandles.insertArguments(
                    lookup.findVirtual(segment, "set", MethodType.methodType(void.class, ofByte, long.class, byte.class)),
                    0, everything, javaByte);
            MethodHandle copy = lookup.findStatic(segment, "copy",
                    MethodType.methodType(void.class, segment, long.class, segment, long.class, long.class));
            COPY = MethodHandles.insertArguments(MethodHandles.insertArguments(copy, 2, everything), 0, everything);
            MethodHandle slice = MethodHandles.insertArguments(
                    lookup.findVirtual(segment, "asSlice", MethodType.methodType(segment, long.class, long.class)),
                    0, everything);
            MethodHandle fill = lookup.findVirtual(segment, "fill", MethodType.methodType(segment, byte.class));
            FILL = MethodHandles.collectArguments(fill, 0, slice)
                    .asType(MethodType.methodType(void.class, long.class, long.class, byte.class));
            VIEW = MethodHandles.filterReturnValue(slice,
                    lookup.findVirtual(segment, "asByteBuffer", MethodType.methodType(ByteBuffer.class)));
            MethodHandle address = lookup.findVirtual(segment, "address", MethodType.methodType(long.class));
            BUFFER_ADDRESS = MethodHandles.filterReturnValue(
                    lookup.findStatic(segment, "ofBuffer", MethodType.methodType(segment, Buffer.class)), address);

            Object linker = linkerClass.getMethod("nativeLinker").invoke(null);
            Object libc = linkerClass.getMethod("defaultLookup").invoke(linker);
            Method find = symbolLookup.getMethod("find", String.class);
            Method downcall = linkerClass.getMethod("downcallHandle", segment, functionDescriptor,
                    linkerOption.arrayType());
            Object noOptions = Array.newInstance(linkerOption, 0);
            Object longArg = Array.newInstance(memoryLayout, 1);
            Array.set(longArg, 0, javaLong);
            Object mallocDescriptor = functionDescriptor.getMethod("of", memoryLayout, memoryLayout.arrayType())
                    .invoke(null, javaLong, longArg);
            Object freeDescriptor = functionDescriptor.getMethod("ofVoid", memoryLayout.arrayType())
                    .invoke(null, longArg);
            MALLOC = (MethodHandle) downcall.invoke(linker, symbol(find, libc, "malloc"), mallocDescriptor, noOptions);
            FREE = (MethodHandle) downcall.invoke(linker, symbol(find, libc, "free"), freeDescriptor, noOptions);

            ARENA_OF_SHARED = ARENA.getMethod("ofShared");
            MAP = FileChannel.class.getMethod("map", FileChannel.MapMode.class, long.class, long.class, ARENA);
            SEGMENT_ADDRESS = segment.getMethod("address");
        } catch (InvocationTargetException e) {
            throw new ExceptionInInitializerError(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private ForeignAccess() {
    }

    private static Object symbol(Method find, Object lookup, String name) throws ReflectiveOperationException {
        return ((Optional<?>) find.invoke(lookup, name))
                .orElseThrow(() -> new NoSuchMethodException("native symbol " + name + " not found in the C library"));
    }

    /** Forces initialisation, so {@link NativeMemory} can catch a failure once, at its own class init. */
    static void init() {
    }

    static long allocate(long length) {
        if (length < 0) {
            throw new IllegalArgumentException("negative length " + length);
        }
        if (length == 0) {
            return 0; // as Unsafe.allocateMemory
        }
        long address;
        try {
            address = (long) MALLOC.invokeExact(length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (address == 0) {
            throw new OutOfMemoryError("Unable to allocate " + length + " bytes");
        }
        return address;
    }

    static void free(long address) {
        try {
            FREE.invokeExact(address);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void copy(long from, long to, long length) {
        try {
            COPY.invokeExact(from, to, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void fill(long address, long length, byte value) {
        try {
            FILL.invokeExact(address, length, value);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static byte getByte(long address) {
        try {
            return (byte) GET_BYTE.invokeExact(address);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void putByte(long address, byte value) {
        try {
            PUT_BYTE.invokeExact(address, value);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long addressOf(ByteBuffer direct) {
        ByteBuffer whole = direct.duplicate().clear(); // position 0, whatever another thread does to direct's
        try {
            return (long) BUFFER_ADDRESS.invokeExact((Buffer) whole);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A new direct buffer over {@code [address, address + length)}, global scope (never closed). */
    static ByteBuffer view(long address, long length) {
        try {
            return (ByteBuffer) VIEW.invokeExact(address, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Maps {@code [0, length)} of the file read-write and shared in a shared arena; closing it unmaps. */
    static NativeMemory.Mapping map(FileChannel channel, long length) throws IOException {
        AutoCloseable arena;
        try {
            arena = (AutoCloseable) ARENA_OF_SHARED.invoke(null);
        } catch (ReflectiveOperationException e) {
            throw rethrow(e instanceof InvocationTargetException ite ? ite.getCause() : e);
        }
        try {
            Object segment = MAP.invoke(channel, FileChannel.MapMode.READ_WRITE, 0L, length, arena);
            long address = (long) SEGMENT_ADDRESS.invoke(segment);
            return new NativeMemory.Mapping(address, arena);
        } catch (InvocationTargetException e) {
            closeQuietly(arena);
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw rethrow(e.getCause());
        } catch (ReflectiveOperationException | RuntimeException e) {
            closeQuietly(arena);
            throw rethrow(e);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // nothing was mapped in it
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("java.lang.foreign call failed: " + t, t);
    }
}
