package io.mooncake.engine.memory;

/**
 * What the engine needs from a device (GPU) module to handle memory the CPU cannot touch: tell
 * device pointers from host pointers, page-locked host memory for staging, and copies between
 * device and host. Found by {@link java.util.ServiceLoader} (mooncake-native offers one for CUDA
 * through {@code libcuda.so.1}); the engine itself knows nothing of any driver.
 *
 * <p>Used at registration (a host pointer registered as {@code cuda:N}, or a device pointer as
 * {@code cpu:N}, is refused with what the pointer really is) and by the engine's staging path: a
 * request whose local memory is device memory on a transport that cannot touch it goes through a
 * bounded pool of pinned host units, copied device to host before a WRITE and host to device
 * after a READ. Implementations are thread-safe; every method may block for the copy it makes
 * (the engine calls the copies from its own staging threads, never from I/O threads).
 */
public interface DeviceMemoryAccess {

    /** A short name for logs, e.g. "cuda (libcuda.so.1, driver 12040)". */
    String name();

    /** Whether this module serves a device location such as {@code cuda:1} (by prefix; the device may not exist). */
    boolean serves(String location);

    /**
     * Whether the driver is present and initialised (a device exists). When {@code false} the
     * engine does not ask {@link #locate}, and registrations of this module's locations are refused
     * with {@link #unavailableReason()}.
     */
    boolean available();

    /** Why {@link #available()} is false (the library or the device that is missing), or {@code null}. */
    String unavailableReason();

    /**
     * The device location ({@code cuda:0}) that owns {@code address}, or {@code null} when it is
     * host memory (pageable or pinned) or unknown to the driver. Cheap (one driver call).
     */
    String locate(long address);

    /**
     * Checks a caller-owned range registered with a location this module {@link #serves}: it must
     * be device memory of exactly that device, all of it inside one allocation.
     *
     * @throws io.mooncake.engine.api.MooncakeException (INVALID_ARGUMENT) naming the address, the
     *     location given, what the pointer really is and the fix
     */
    void checkDeviceRange(long address, long length, String location);

    /**
     * Page-locked host memory (the CPU reads and writes it; the device copies it at full speed),
     * of kind {@link MemoryKind#HOST}. Zeroed.
     *
     * @throws io.mooncake.engine.api.MooncakeException (MEMORY) naming the size and the reason
     */
    Allocation allocatePinned(long length);

    /**
     * Copies {@code length} bytes of device memory at {@code device} to host memory at
     * {@code host}, returning when the bytes are in host memory.
     *
     * @throws io.mooncake.engine.api.MooncakeException naming the driver's error
     */
    void copyToHost(long host, long device, long length);

    /**
     * Copies {@code length} bytes of host memory at {@code host} to device memory at
     * {@code device}, returning when the bytes are in device memory.
     *
     * @throws io.mooncake.engine.api.MooncakeException naming the driver's error
     */
    void copyToDevice(long device, long host, long length);
}
