package io.mooncake.jna.hip;

/**
 * The HIP runtime as the {@code hip} transport and the {@code hip:N} allocator use it: device
 * selection, device and pinned host memory, pointer attributes, IPC handles, streams and
 * asynchronous copies. Every method that fails throws {@link HipException} naming the call and
 * the runtime's error; addresses are plain {@code long}s (device pointers are never dereferenced
 * by Java).
 *
 * <p>{@link JnaHip} is the real runtime through JNA. Tests use a test double of this interface
 * that stands for AMD GPUs, which cannot exist on the build machines (it says so). Implementations
 * are thread-safe; the HIP runtime's current device is per thread, so callers that care call
 * {@link #setDevice} on the thread that then issues the calls.
 */
public interface Hip {

    /** Where the runtime was loaded from, for messages ({@code libamdhip64.so.5}). */
    String library();

    /** {@code hipRuntimeGetVersion}: {@code major * 10000000 + minor * 100000 + patch}. */
    int runtimeVersion();

    /** {@code hipInit(0)}. */
    void init();

    /** {@code hipGetDeviceCount}; {@code hipErrorNoDevice} is thrown, not answered as 0. */
    int deviceCount();

    /** {@code hipGetDevice}: the calling thread's current device. */
    int currentDevice();

    /** {@code hipSetDevice} on the calling thread. */
    void setDevice(int device);

    /** {@code hipMalloc} on the calling thread's current device. */
    long malloc(long bytes);

    /** {@code hipFree}. */
    void free(long devicePointer);

    /** {@code hipHostMalloc(hipHostMallocDefault)}: pinned host memory the CPU can read and write. */
    long hostMalloc(long bytes);

    /** {@code hipHostFree}. */
    void hostFree(long hostPointer);

    /** {@code hipMemset}. */
    void memset(long devicePointer, int value, long bytes);

    /** {@code hipPointerGetAttributes}, with the memory type in version-independent terms. */
    PointerAttributes pointerAttributes(long pointer);

    /** {@code hipIpcGetMemHandle}: the 64 handle bytes for device memory at {@code devicePointer}. */
    byte[] ipcGetMemHandle(long devicePointer);

    /**
     * {@code hipIpcOpenMemHandle(..., hipIpcMemLazyEnablePeerAccess)}: maps another process's
     * device memory into this one and returns the address matching the exporter's pointer.
     */
    long ipcOpenMemHandle(byte[] handle);

    /** {@code hipIpcCloseMemHandle}. */
    void ipcCloseMemHandle(long mappedPointer);

    /** {@code hipStreamCreateWithFlags(hipStreamNonBlocking)} on the calling thread's device. */
    long streamCreate();

    /** {@code hipStreamDestroy}. */
    void streamDestroy(long stream);

    /** {@code hipMemcpyAsync(..., hipMemcpyDefault, stream)}: the runtime infers the direction from the pointers. */
    void memcpyAsync(long dst, long src, long bytes, long stream);

    /** {@code hipMemcpy(..., hipMemcpyDefault)}, synchronous. */
    void memcpy(long dst, long src, long bytes);

    /** {@code hipStreamSynchronize}: blocks until every copy queued on {@code stream} ended. */
    void streamSynchronize(long stream);

    /** {@code hipStreamQuery}: {@code true} when the stream is idle, {@code false} on {@code hipErrorNotReady}. */
    boolean streamQuery(long stream);

    /** {@code hipGetErrorName} (never throws). */
    String errorName(int status);

    /** What {@code hipPointerGetAttributes} says about a pointer. */
    enum MemoryType {
        /** ROCm 6: memory the runtime does not know (plain malloc). ROCm 5 answers an error instead. */
        UNREGISTERED,
        HOST,
        DEVICE,
        MANAGED,
        ARRAY,
        UNIFIED,
        /** A value neither numbering defines. */
        UNKNOWN
    }

    /**
     * {@code hipPointerAttribute_t}.
     *
     * @param type the memory type
     * @param device the device the memory lives on (or was allocated from)
     * @param devicePointer the device address
     * @param hostPointer the host address, 0 when the CPU cannot address it
     * @param managed whether it is managed memory
     * @param allocationFlags the flags given at allocation
     */
    record PointerAttributes(MemoryType type, int device, long devicePointer, long hostPointer, boolean managed,
            int allocationFlags) {
    }
}
