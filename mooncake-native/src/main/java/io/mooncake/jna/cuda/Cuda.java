package io.mooncake.jna.cuda;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import io.mooncake.engine.api.ErrorCode;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.NativeLoading;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The CUDA driver through {@link LibCuda}, with every failure a {@link CudaException} naming the
 * call, its arguments and the driver's error name ({@code cuGetErrorName}) and text.
 *
 * <p>Contexts: each device's primary context (the one the CUDA runtime, PyTorch and vLLM use, so
 * pointers they allocate are valid here) is retained on first use and made current on the calling
 * thread by {@link #bind(int)} before every call that needs one; binding is a cheap driver call
 * and threads may move between devices. Thread-safe.
 */
public final class Cuda {

    /** The library names tried, in order. */
    public static final List<String> LIBRARIES = List.of("libcuda.so.1", "libcuda.so");

    private final LibCuda lib;
    private final ConcurrentHashMap<Integer, Pointer> contexts = new ConcurrentHashMap<>();
    private volatile boolean initialised;

    /** A facade over {@code lib} (the real library, or a test double standing for absent hardware). */
    public Cuda(LibCuda lib) {
        this.lib = Objects.requireNonNull(lib, "lib");
    }

    /** The process-wide driver library, or why it cannot be loaded. Never throws. */
    public static Loaded<Cuda> load() {
        return Holder.LOADED;
    }

    private static final class Holder {
        static final Loaded<Cuda> LOADED = NativeLoading.load(LibCuda.class, LIBRARIES, Cuda::new);
    }

    /** The raw interface. */
    public LibCuda lib() {
        return lib;
    }

    /** {@code cuInit(0)}, once. */
    public void init() {
        if (!initialised) {
            synchronized (this) {
                if (!initialised) {
                    check(lib.cuInit(0), "cuInit", "initialising the CUDA driver");
                    initialised = true;
                }
            }
        }
    }

    /** {@code cuDriverGetVersion}, e.g. 12040 for CUDA 12.4. */
    public int driverVersion() {
        IntByReference v = new IntByReference();
        check(lib.cuDriverGetVersion(v), "cuDriverGetVersion", "");
        return v.getValue();
    }

    /** Visible devices ({@code CUDA_VISIBLE_DEVICES} applies). */
    public int deviceCount() {
        init();
        IntByReference n = new IntByReference();
        check(lib.cuDeviceGetCount(n), "cuDeviceGetCount", "");
        return n.getValue();
    }

    /** Makes device {@code ordinal}'s primary context current on this thread (retaining it on first use). */
    public void bind(int ordinal) {
        Pointer ctx = contexts.get(ordinal);
        if (ctx == null) {
            ctx = retain(ordinal);
        }
        check(lib.cuCtxSetCurrent(ctx), "cuCtxSetCurrent", "cuda:" + ordinal);
    }

    private synchronized Pointer retain(int ordinal) {
        Pointer ctx = contexts.get(ordinal);
        if (ctx != null) {
            return ctx;
        }
        init();
        IntByReference dev = new IntByReference();
        check(lib.cuDeviceGet(dev, ordinal), "cuDeviceGet", "cuda:" + ordinal);
        PointerByReference p = new PointerByReference();
        check(lib.cuDevicePrimaryCtxRetain(p, dev.getValue()), "cuDevicePrimaryCtxRetain", "cuda:" + ordinal);
        contexts.put(ordinal, p.getValue());
        return p.getValue();
    }

    /** Releases the primary contexts retained (at shutdown; memory still allocated in them stays valid for other users). */
    public synchronized void releaseContexts() {
        for (Integer d : contexts.keySet()) {
            lib.cuDevicePrimaryCtxRelease_v2(d);
        }
        contexts.clear();
    }

    /** {@code cuDeviceGetAttribute}. */
    public int attribute(int ordinal, int attribute) {
        init();
        IntByReference v = new IntByReference();
        check(lib.cuDeviceGetAttribute(v, attribute, ordinal), "cuDeviceGetAttribute",
                "attribute " + attribute + " of cuda:" + ordinal);
        return v.getValue();
    }

    // ---- memory

    /** {@code cuMemAlloc} on device {@code ordinal}. */
    public long alloc(int ordinal, long bytes) {
        bind(ordinal);
        LongByReference p = new LongByReference();
        check(lib.cuMemAlloc_v2(p, bytes), "cuMemAlloc", bytes + " bytes on cuda:" + ordinal);
        return p.getValue();
    }

    /** {@code cuMemFree}. */
    public void free(int ordinal, long dptr) {
        bind(ordinal);
        check(lib.cuMemFree_v2(dptr), "cuMemFree", hex(dptr) + " on cuda:" + ordinal);
    }

    /** {@code cuMemHostAlloc(PORTABLE)}: page-locked host memory usable from every device's context. */
    public long hostAlloc(int ordinal, long bytes) {
        bind(ordinal);
        PointerByReference p = new PointerByReference();
        check(lib.cuMemHostAlloc(p, bytes, CudaAbi.MEMHOSTALLOC_PORTABLE), "cuMemHostAlloc", bytes + " bytes pinned");
        return Pointer.nativeValue(p.getValue());
    }

    /** {@code cuMemFreeHost}. */
    public void freeHost(int ordinal, long host) {
        bind(ordinal);
        check(lib.cuMemFreeHost(new Pointer(host)), "cuMemFreeHost", hex(host));
    }

    /** {@code cuMemsetD8} (synchronous). */
    public void memset(int ordinal, long dptr, byte value, long bytes) {
        bind(ordinal);
        check(lib.cuMemsetD8_v2(dptr, value, bytes), "cuMemsetD8", bytes + " bytes at " + hex(dptr));
    }

    /** What CUDA knows of a pointer. */
    public record PointerInfo(int memoryType, int device, long rangeStart, long rangeSize) {
        /** Device memory (not host, not managed). */
        public boolean isDevice() {
            return memoryType == CudaAbi.MEMORYTYPE_DEVICE;
        }

        /** Memory CUDA does not know (plain host memory) reads as type 0. */
        public boolean isUnknown() {
            return memoryType == 0;
        }

        /** A readable name of the memory type. */
        public String typeName() {
            return switch (memoryType) {
                case 0 -> "host memory unknown to CUDA";
                case CudaAbi.MEMORYTYPE_HOST -> "pinned host memory";
                case CudaAbi.MEMORYTYPE_DEVICE -> "cuda:" + device + " device memory";
                case CudaAbi.MEMORYTYPE_ARRAY -> "a CUDA array";
                case CudaAbi.MEMORYTYPE_UNIFIED -> "managed (unified) memory";
                default -> "memory of type " + memoryType;
            };
        }
    }

    private static final int[] POINTER_ATTRIBUTES = {CudaAbi.POINTER_ATTRIBUTE_MEMORY_TYPE,
            CudaAbi.POINTER_ATTRIBUTE_DEVICE_ORDINAL, CudaAbi.POINTER_ATTRIBUTE_RANGE_START_ADDR,
            CudaAbi.POINTER_ATTRIBUTE_RANGE_SIZE};

    /**
     * {@code cuPointerGetAttributes} (memory type, device ordinal, allocation range): a pointer CUDA
     * does not know reads as {@link PointerInfo#isUnknown()}, not as an error.
     */
    public PointerInfo pointer(long ptr) {
        init();
        try (Memory out = new Memory(32)) {
            out.clear();
            Pointer[] data = {out.share(0), out.share(8), out.share(16), out.share(24)};
            check(lib.cuPointerGetAttributes(4, POINTER_ATTRIBUTES, data, ptr), "cuPointerGetAttributes", hex(ptr));
            return new PointerInfo(out.getInt(0), out.getInt(8), out.getLong(16), out.getLong(24));
        }
    }

    // ---- streams, events, copies

    /** A non-blocking stream on device {@code ordinal}. */
    public Pointer createStream(int ordinal) {
        bind(ordinal);
        PointerByReference s = new PointerByReference();
        check(lib.cuStreamCreate(s, CudaAbi.STREAM_NON_BLOCKING), "cuStreamCreate", "cuda:" + ordinal);
        return s.getValue();
    }

    /** {@code cuStreamDestroy}. */
    public void destroyStream(Pointer stream) {
        check(lib.cuStreamDestroy_v2(stream), "cuStreamDestroy", "");
    }

    /** {@code cuStreamSynchronize}: waits for the stream's work. */
    public void synchronize(Pointer stream) {
        check(lib.cuStreamSynchronize(stream), "cuStreamSynchronize", "");
    }

    /** {@code cuStreamQuery}: whether the stream's work is done (NOT_READY is {@code false}). */
    public boolean streamDone(Pointer stream) {
        int rc = lib.cuStreamQuery(stream);
        if (rc == CudaAbi.CUDA_ERROR_NOT_READY) {
            return false;
        }
        check(rc, "cuStreamQuery", "");
        return true;
    }

    /** {@code cuMemcpyAsync} (unified addressing: any direction) on {@code stream}; the caller bound the stream's device. */
    public void copyAsync(long dst, long src, long bytes, Pointer stream) {
        int rc = lib.cuMemcpyAsync(dst, src, bytes, stream);
        if (rc != 0) {
            throw fail("cuMemcpyAsync", bytes + " bytes " + hex(src) + " -> " + hex(dst), rc);
        }
    }

    /** {@code cuMemcpyDtoHAsync}. */
    public void copyToHostAsync(long host, long device, long bytes, Pointer stream) {
        int rc = lib.cuMemcpyDtoHAsync_v2(host, device, bytes, stream);
        if (rc != 0) {
            throw fail("cuMemcpyDtoHAsync", bytes + " bytes " + hex(device) + " -> " + hex(host), rc);
        }
    }

    /** {@code cuMemcpyHtoDAsync}. */
    public void copyToDeviceAsync(long device, long host, long bytes, Pointer stream) {
        int rc = lib.cuMemcpyHtoDAsync_v2(device, host, bytes, stream);
        if (rc != 0) {
            throw fail("cuMemcpyHtoDAsync", bytes + " bytes " + hex(host) + " -> " + hex(device), rc);
        }
    }

    /** {@code cuMemcpyDtoDAsync}. */
    public void copyDeviceAsync(long dst, long src, long bytes, Pointer stream) {
        int rc = lib.cuMemcpyDtoDAsync_v2(dst, src, bytes, stream);
        if (rc != 0) {
            throw fail("cuMemcpyDtoDAsync", bytes + " bytes " + hex(src) + " -> " + hex(dst), rc);
        }
    }

    /** {@code cuMemcpyDtoD} (synchronous with respect to the host for most cases; the bench's baseline). */
    public void copyDevice(int ordinal, long dst, long src, long bytes) {
        bind(ordinal);
        check(lib.cuMemcpyDtoD_v2(dst, src, bytes), "cuMemcpyDtoD", bytes + " bytes");
    }

    /** An event without timing (cheap completion marker) on device {@code ordinal}. */
    public Pointer createEvent(int ordinal) {
        bind(ordinal);
        PointerByReference e = new PointerByReference();
        check(lib.cuEventCreate(e, CudaAbi.EVENT_DISABLE_TIMING), "cuEventCreate", "cuda:" + ordinal);
        return e.getValue();
    }

    /** {@code cuEventRecord}. */
    public void record(Pointer event, Pointer stream) {
        check(lib.cuEventRecord(event, stream), "cuEventRecord", "");
    }

    /** {@code cuEventQuery}: whether the work before the event is done. */
    public boolean eventDone(Pointer event) {
        int rc = lib.cuEventQuery(event);
        if (rc == CudaAbi.CUDA_ERROR_NOT_READY) {
            return false;
        }
        check(rc, "cuEventQuery", "");
        return true;
    }

    /** {@code cuEventSynchronize}. */
    public void eventSynchronize(Pointer event) {
        check(lib.cuEventSynchronize(event), "cuEventSynchronize", "");
    }

    /** {@code cuEventDestroy}. */
    public void destroyEvent(Pointer event) {
        check(lib.cuEventDestroy_v2(event), "cuEventDestroy", "");
    }

    // ---- legacy IPC

    /** {@code cuIpcGetMemHandle}: the 64-byte handle of the allocation holding {@code dptr}. */
    public byte[] ipcHandle(int ordinal, long dptr) {
        bind(ordinal);
        byte[] h = new byte[CudaAbi.IPC_HANDLE_BYTES];
        check(lib.cuIpcGetMemHandle(h, dptr), "cuIpcGetMemHandle", hex(dptr) + " on cuda:" + ordinal);
        return h;
    }

    /** {@code cuIpcOpenMemHandle(LAZY_ENABLE_PEER_ACCESS)}: maps a peer's allocation; returns its base here. */
    public long ipcOpen(int ordinal, byte[] handle) {
        bind(ordinal);
        LongByReference p = new LongByReference();
        check(lib.cuIpcOpenMemHandle_v2(p, new CudaAbi.IpcMemHandle(handle), CudaAbi.IPC_MEM_LAZY_ENABLE_PEER_ACCESS),
                "cuIpcOpenMemHandle", "on cuda:" + ordinal);
        return p.getValue();
    }

    /** {@code cuIpcCloseMemHandle}. */
    public void ipcClose(int ordinal, long dptr) {
        bind(ordinal);
        check(lib.cuIpcCloseMemHandle(dptr), "cuIpcCloseMemHandle", hex(dptr));
    }

    // ---- virtual memory management

    private static Memory allocationProp(int ordinal, int handleTypes) {
        Memory prop = new Memory(CudaAbi.MEM_ALLOCATION_PROP_BYTES);
        prop.clear();
        prop.setInt(CudaAbi.PROP_TYPE, CudaAbi.MEM_ALLOCATION_TYPE_PINNED);
        prop.setInt(CudaAbi.PROP_REQUESTED_HANDLE_TYPES, handleTypes);
        prop.setInt(CudaAbi.PROP_LOCATION_TYPE, CudaAbi.MEM_LOCATION_TYPE_DEVICE);
        prop.setInt(CudaAbi.PROP_LOCATION_ID, ordinal);
        return prop;
    }

    /** {@code cuMemGetAllocationGranularity(RECOMMENDED)} for pinned device memory exportable as {@code handleTypes}. */
    public long granularity(int ordinal, int handleTypes) {
        init();
        try (Memory prop = allocationProp(ordinal, handleTypes)) {
            LongByReference g = new LongByReference();
            check(lib.cuMemGetAllocationGranularity(g, prop, CudaAbi.MEM_ALLOC_GRANULARITY_RECOMMENDED),
                    "cuMemGetAllocationGranularity", "cuda:" + ordinal + ", handle types 0x" + Integer.toHexString(handleTypes));
            return g.getValue();
        }
    }

    /** {@code cuMemCreate}: physical memory on device {@code ordinal}, exportable as {@code handleTypes}. */
    public long memCreate(int ordinal, long bytes, int handleTypes) {
        bind(ordinal);
        try (Memory prop = allocationProp(ordinal, handleTypes)) {
            LongByReference h = new LongByReference();
            check(lib.cuMemCreate(h, bytes, prop, 0), "cuMemCreate", bytes + " bytes on cuda:" + ordinal
                    + ", handle types 0x" + Integer.toHexString(handleTypes));
            return h.getValue();
        }
    }

    /** {@code cuMemRelease}. */
    public void memRelease(long handle) {
        check(lib.cuMemRelease(handle), "cuMemRelease", "");
    }

    /** {@code cuMemAddressReserve}. */
    public long reserve(long bytes, long alignment) {
        init();
        LongByReference p = new LongByReference();
        check(lib.cuMemAddressReserve(p, bytes, alignment, 0, 0), "cuMemAddressReserve", bytes + " bytes");
        return p.getValue();
    }

    /** {@code cuMemAddressFree}. */
    public void addressFree(long ptr, long bytes) {
        check(lib.cuMemAddressFree(ptr, bytes), "cuMemAddressFree", hex(ptr));
    }

    /** {@code cuMemMap} of a whole handle at {@code ptr}. */
    public void map(long ptr, long bytes, long handle) {
        check(lib.cuMemMap(ptr, bytes, 0, handle, 0), "cuMemMap", bytes + " bytes at " + hex(ptr));
    }

    /** {@code cuMemUnmap}. */
    public void unmap(long ptr, long bytes) {
        check(lib.cuMemUnmap(ptr, bytes), "cuMemUnmap", hex(ptr));
    }

    /** {@code cuMemSetAccess}: read-write from device {@code ordinal}. */
    public void setAccess(int ordinal, long ptr, long bytes) {
        bind(ordinal);
        try (Memory desc = new Memory(CudaAbi.MEM_ACCESS_DESC_BYTES)) {
            desc.clear();
            desc.setInt(CudaAbi.ACCESS_LOCATION_TYPE, CudaAbi.MEM_LOCATION_TYPE_DEVICE);
            desc.setInt(CudaAbi.ACCESS_LOCATION_ID, ordinal);
            desc.setInt(CudaAbi.ACCESS_FLAGS, CudaAbi.MEM_ACCESS_FLAGS_PROT_READWRITE);
            check(lib.cuMemSetAccess(ptr, bytes, desc, 1), "cuMemSetAccess", bytes + " bytes at " + hex(ptr)
                    + " for cuda:" + ordinal);
        }
    }

    /** {@code cuMemExportToShareableHandle(POSIX_FILE_DESCRIPTOR)}: a file descriptor this process owns. */
    public int exportFd(long handle) {
        try (Memory out = new Memory(4)) {
            check(lib.cuMemExportToShareableHandle(out, handle, CudaAbi.MEM_HANDLE_TYPE_POSIX_FD, 0),
                    "cuMemExportToShareableHandle", "as a POSIX file descriptor");
            return out.getInt(0);
        }
    }

    /** {@code cuMemExportToShareableHandle(FABRIC)}: the 64-byte fabric handle. */
    public byte[] exportFabric(long handle) {
        try (Memory out = new Memory(CudaAbi.FABRIC_HANDLE_BYTES)) {
            check(lib.cuMemExportToShareableHandle(out, handle, CudaAbi.MEM_HANDLE_TYPE_FABRIC, 0),
                    "cuMemExportToShareableHandle", "as a fabric handle");
            return out.getByteArray(0, CudaAbi.FABRIC_HANDLE_BYTES);
        }
    }

    /** {@code cuMemImportFromShareableHandle} of a file descriptor of this process. */
    public long importFd(int ordinal, int fd) {
        bind(ordinal);
        LongByReference h = new LongByReference();
        check(lib.cuMemImportFromShareableHandle(h, new Pointer(fd), CudaAbi.MEM_HANDLE_TYPE_POSIX_FD),
                "cuMemImportFromShareableHandle", "file descriptor " + fd);
        return h.getValue();
    }

    /** {@code cuMemImportFromShareableHandle} of a fabric handle. */
    public long importFabric(int ordinal, byte[] fabricHandle) {
        bind(ordinal);
        try (Memory in = new Memory(CudaAbi.FABRIC_HANDLE_BYTES)) {
            in.write(0, fabricHandle, 0, CudaAbi.FABRIC_HANDLE_BYTES);
            LongByReference h = new LongByReference();
            check(lib.cuMemImportFromShareableHandle(h, in, CudaAbi.MEM_HANDLE_TYPE_FABRIC),
                    "cuMemImportFromShareableHandle", "a fabric handle");
            return h.getValue();
        }
    }

    // ---- errors

    /** {@code cuGetErrorName}, e.g. {@code CUDA_ERROR_OUT_OF_MEMORY}; {@code CUresult <n>} when unknown. */
    public String errorName(int status) {
        try {
            PointerByReference p = new PointerByReference();
            if (lib.cuGetErrorName(status, p) == 0 && p.getValue() != null) {
                return p.getValue().getString(0);
            }
        } catch (RuntimeException | LinkageError e) {
            // fall through
        }
        return "CUresult " + status;
    }

    private String errorText(int status) {
        try {
            PointerByReference p = new PointerByReference();
            if (lib.cuGetErrorString(status, p) == 0 && p.getValue() != null) {
                return p.getValue().getString(0);
            }
        } catch (RuntimeException | LinkageError e) {
            // fall through
        }
        return "";
    }

    private void check(int status, String call, String what) {
        if (status != CudaAbi.CUDA_SUCCESS) {
            throw fail(call, what, status);
        }
    }

    /** The exception for a failed call: the call, what it did, the error name, its text and code. */
    public CudaException fail(String call, String what, int status) {
        String text = errorText(status);
        ErrorCode code = switch (status) {
            case CudaAbi.CUDA_ERROR_OUT_OF_MEMORY -> ErrorCode.MEMORY;
            case CudaAbi.CUDA_ERROR_NO_DEVICE, CudaAbi.CUDA_ERROR_INVALID_DEVICE -> ErrorCode.DEVICE_NOT_FOUND;
            case CudaAbi.CUDA_ERROR_NOT_SUPPORTED, CudaAbi.CUDA_ERROR_NOT_PERMITTED -> ErrorCode.TRANSPORT_UNAVAILABLE;
            case CudaAbi.CUDA_ERROR_INVALID_VALUE -> ErrorCode.INVALID_ARGUMENT;
            default -> ErrorCode.MEMORY;
        };
        return new CudaException(code, call + (what.isEmpty() ? "" : " (" + what + ")") + " failed: "
                + errorName(status) + " (" + status + ")" + (text.isEmpty() ? "" : ": " + text), status);
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    /** Uppercase hex of a handle, as the reference publishes it in {@code shm_name}. */
    public static String toHex(byte[] handle) {
        return java.util.HexFormat.of().withUpperCase().formatHex(handle);
    }

    /** The bytes of a {@code shm_name}; throws IllegalArgumentException naming what is wrong. */
    public static byte[] fromHex(String hex, int expectedBytes) {
        if (hex == null || hex.length() != expectedBytes * 2) {
            throw new IllegalArgumentException("expected " + expectedBytes * 2 + " hex digits (a " + expectedBytes
                    + "-byte handle), got " + (hex == null ? "none" : hex.length()));
        }
        return java.util.HexFormat.of().parseHex(hex);
    }
}
