package io.mooncake.jna.verbs;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * A call through a C function pointer that allocates nothing on the Java heap: how this binding
 * calls {@code ibv_post_send}, {@code ibv_poll_cq} and {@code ibv_req_notify_cq}, which are header
 * inlines jumping through {@code context->ops}, not exported symbols.
 *
 * <p>Built on JNA's public libffi entry points {@link Native#ffi_prep_cif} and
 * {@link Native#ffi_call} (what JNA's own direct mapping uses): the call interface ("cif") is
 * prepared once per signature; each calling thread owns a {@link Frame}, native memory holding the
 * argument values, the {@code void **avalue} array pointing at them and the return slot. A call
 * writes the arguments into the frame and makes one JNI call with four {@code long}s, so the hot
 * path allocates nothing and takes no lock. {@code ffi_type} descriptors for {@code void *} and
 * {@code int32_t} are built here; their layout and the {@code FFI_TYPE_*} codes are proved against
 * {@code <ffi.h>} by the ABI test.
 *
 * <p>Where libffi's default ABI number is not known for the CPU (only x86-64 and aarch64 are),
 * {@link #supported()} is false and {@link Frame#call} falls back to JNA's
 * {@link Function#invokeInt}, which boxes its arguments: correct, but not allocation-free.
 *
 * <p>Thread-safety: an {@code FfiCall} is immutable and shared; a {@link Frame} belongs to one
 * thread at a time.
 */
public final class FfiCall {

    /** C type of an argument. */
    public enum Type {
        /** {@code void *} (and every other pointer). */
        POINTER,
        /** {@code int} ({@code int32_t}). */
        SINT32
    }

    @Abi("sizeof(ffi_type)")
    static final int FFI_TYPE_SIZE = 24;

    @Abi("offsetof(ffi_type, size)")
    static final int FFI_TYPE_SIZE_OFFSET = 0;

    @Abi("offsetof(ffi_type, alignment)")
    static final int FFI_TYPE_ALIGNMENT_OFFSET = 8;

    @Abi("offsetof(ffi_type, type)")
    static final int FFI_TYPE_TYPE_OFFSET = 10;

    @Abi("offsetof(ffi_type, elements)")
    static final int FFI_TYPE_ELEMENTS_OFFSET = 16;

    @Abi("FFI_TYPE_POINTER")
    static final int FFI_TYPE_POINTER = 14;

    @Abi("FFI_TYPE_SINT32")
    static final int FFI_TYPE_SINT32 = 10;

    @Abi("sizeof(ffi_arg)")
    static final int FFI_ARG_SIZE = 8;

    /** libffi's {@code FFI_DEFAULT_ABI}: {@code FFI_UNIX64} on x86-64, {@code FFI_SYSV} on aarch64, else unknown (-1). */
    @Abi("FFI_DEFAULT_ABI")
    static final int FFI_DEFAULT_ABI = defaultAbi();

    /** Native {@code ffi_type} for {@code void *} and {@code int32_t}, alive for the JVM's lifetime (libffi keeps pointers to them). */
    private static final Memory TYPES = ffiTypes();

    private final Type[] args;
    private final Memory argTypes;
    private final long cif;

    private FfiCall(Type[] args) {
        this.args = args.clone();
        if (FFI_DEFAULT_ABI < 0 || Native.POINTER_SIZE != 8) {
            this.argTypes = null;
            this.cif = 0;
            return;
        }
        this.argTypes = new Memory((long) args.length * Native.POINTER_SIZE);
        for (int i = 0; i < args.length; i++) {
            argTypes.setPointer((long) i * Native.POINTER_SIZE, typePointer(args[i]));
        }
        this.cif = Native.ffi_prep_cif(FFI_DEFAULT_ABI, args.length, Pointer.nativeValue(typePointer(Type.SINT32)),
                Pointer.nativeValue(argTypes));
    }

    /** A call interface for a function returning {@code int} with the given argument types. */
    public static FfiCall returningInt(Type... args) {
        Objects.requireNonNull(args, "args");
        return new FfiCall(args);
    }

    /** Whether calls go through libffi without allocating (false: JNA's boxing fallback). */
    public boolean supported() {
        return cif != 0;
    }

    /** A new frame for one thread's calls. */
    public Frame frame() {
        return new Frame();
    }

    @Override
    public String toString() {
        return "FfiCall" + Arrays.toString(args) + (supported() ? "" : " (JNA fallback)");
    }

    /**
     * One thread's argument storage: set each argument with {@link #arg}, then {@link #call}.
     * Not thread-safe; reuse it for every call on its thread.
     */
    public final class Frame {

        private final Memory block;
        private final ByteBuffer buf;
        private final long avalue;
        private final long rvalue;
        private final Object[] fallbackArgs;

        Frame() {
            int n = args.length;
            // layout: avalue[n] pointers | values[n] 8 bytes each | return slot (ffi_arg)
            block = new Memory((long) n * 16 + FFI_ARG_SIZE);
            block.clear();
            buf = block.getByteBuffer(0, block.size()).order(ByteOrder.nativeOrder());
            long base = Pointer.nativeValue(block);
            avalue = base;
            for (int i = 0; i < n; i++) {
                buf.putLong(i * 8, base + (long) n * 8 + i * 8L);
            }
            rvalue = base + (long) n * 16;
            fallbackArgs = new Object[n];
        }

        /** Sets argument {@code i}: an address for {@link Type#POINTER}, a value for {@link Type#SINT32}. */
        public Frame arg(int i, long value) {
            int slot = args.length * 8 + i * 8;
            if (args[i] == Type.SINT32) {
                buf.putInt(slot, (int) value);
            } else {
                buf.putLong(slot, value);
            }
            return this;
        }

        /** Calls the function at address {@code fn} with the arguments set, returning its {@code int}. */
        public int call(long fn) {
            if (fn == 0) {
                throw new IllegalStateException("NULL function pointer");
            }
            if (cif != 0) {
                Native.ffi_call(cif, fn, rvalue, avalue);
                return (int) buf.getLong(args.length * 16);
            }
            for (int i = 0; i < args.length; i++) {
                long v = buf.getLong(args.length * 8 + i * 8);
                fallbackArgs[i] = args[i] == Type.SINT32 ? Integer.valueOf(buf.getInt(args.length * 8 + i * 8))
                        : new Pointer(v);
            }
            return Function.getFunction(new Pointer(fn)).invokeInt(fallbackArgs);
        }
    }

    private static Pointer typePointer(Type t) {
        return TYPES.share(t == Type.POINTER ? 0 : FFI_TYPE_SIZE);
    }

    private static Memory ffiTypes() {
        Memory m = new Memory(2L * FFI_TYPE_SIZE);
        m.clear();
        writeType(m, 0, Native.POINTER_SIZE, Native.POINTER_SIZE, FFI_TYPE_POINTER);
        writeType(m, FFI_TYPE_SIZE, 4, 4, FFI_TYPE_SINT32);
        return m;
    }

    private static void writeType(Memory m, int at, long size, int alignment, int type) {
        m.setLong(at + FFI_TYPE_SIZE_OFFSET, size);
        m.setShort(at + FFI_TYPE_ALIGNMENT_OFFSET, (short) alignment);
        m.setShort(at + FFI_TYPE_TYPE_OFFSET, (short) type);
        m.setPointer(at + FFI_TYPE_ELEMENTS_OFFSET, null);
    }

    private static int defaultAbi() {
        if (!Platform.isLinux() || !Platform.is64Bit()) {
            return -1;
        }
        if (Platform.isIntel()) {
            return 2; // FFI_UNIX64
        }
        if (Platform.isARM()) {
            return 1; // FFI_SYSV
        }
        return -1;
    }
}
