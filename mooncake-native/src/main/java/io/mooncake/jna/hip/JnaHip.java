package io.mooncake.jna.hip;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import io.mooncake.jna.AcceleratorRuntime;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.NativeLoading;
import io.mooncake.jna.RuntimeQuery;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The HIP runtime ({@code libamdhip64}) through JNA: the probe's {@link AcceleratorRuntime} and the
 * transport's {@link Hip}. Each list of candidate paths is linked at most once per JVM. The
 * version-dependent values (memory types, the IPC open flag) follow {@code hipRuntimeGetVersion}
 * ({@link HipAbi}). Thread-safe.
 */
public final class JnaHip implements AcceleratorRuntime, Hip {

    private static final Map<List<String>, Loaded<JnaHip>> CACHE = new ConcurrentHashMap<>();
    private static final Map<List<String>, Loaded<AcceleratorRuntime>> PROBE_CACHE = new ConcurrentHashMap<>();

    private final LibAmdHip64 lib;
    private final String library;
    private final int version;

    private JnaHip(LibAmdHip64 lib, String library) {
        this.lib = lib;
        this.library = library;
        IntByReference v = new IntByReference();
        this.version = lib.hipRuntimeGetVersion(v) == 0 ? v.getValue() : 0;
    }

    /** The HIP runtime from the first candidate that links ({@code libamdhip64.so} or a path), as the probes see it. */
    public static Loaded<AcceleratorRuntime> load(List<String> candidates) {
        return PROBE_CACHE.computeIfAbsent(List.copyOf(candidates), c -> {
            Loaded<JnaHip> l = loadHip(c);
            return l.isLoaded() ? Loaded.of(l.name(), l.library())
                    : new Loaded<>(null, l.name(), l.failure(), l.permissionDenied());
        });
    }

    /** The HIP runtime from the first candidate that links, as the transport and the allocator use it. */
    public static Loaded<JnaHip> loadHip(List<String> candidates) {
        return CACHE.computeIfAbsent(List.copyOf(candidates), c -> {
            for (String candidate : c) {
                Loaded<JnaHip> one = NativeLoading.load(LibAmdHip64.class, List.of(candidate),
                        lib -> new JnaHip(lib, candidate));
                if (one.isLoaded()) {
                    return one;
                }
            }
            return NativeLoading.load(LibAmdHip64.class, c, lib -> new JnaHip(lib, c.get(0)));
        });
    }

    @Override
    public RuntimeQuery query() {
        IntByReference count = new IntByReference();
        int rc = lib.hipGetDeviceCount(count);
        if (rc != 0) {
            return RuntimeQuery.failed(rc, errorName(rc) + " from hipGetDeviceCount (HIP runtime "
                    + HipAbi.describeVersion(version) + ", " + library + ")");
        }
        List<String> buses = new ArrayList<>();
        for (int i = 0; i < count.getValue(); i++) {
            byte[] bus = new byte[64];
            if (lib.hipDeviceGetPCIBusId(bus, bus.length, i) == 0) {
                buses.add(RuntimeQuery.normalizePciBusId(Native.toString(bus)));
            }
        }
        return RuntimeQuery.devices(count.getValue(), buses.size() == count.getValue() ? buses : List.of());
    }

    @Override
    public String library() {
        return library;
    }

    @Override
    public int runtimeVersion() {
        return version;
    }

    @Override
    public void init() {
        check(lib.hipInit(0), "hipInit(0)");
    }

    @Override
    public int deviceCount() {
        IntByReference n = new IntByReference();
        check(lib.hipGetDeviceCount(n), "hipGetDeviceCount");
        return n.getValue();
    }

    @Override
    public int currentDevice() {
        IntByReference d = new IntByReference();
        check(lib.hipGetDevice(d), "hipGetDevice");
        return d.getValue();
    }

    @Override
    public void setDevice(int device) {
        int rc = lib.hipSetDevice(device);
        if (rc != 0) {
            check(rc, "hipSetDevice(" + device + ")");
        }
    }

    @Override
    public long malloc(long bytes) {
        LongByReference p = new LongByReference();
        check(lib.hipMalloc(p, bytes), "hipMalloc(" + bytes + " bytes)");
        return p.getValue();
    }

    @Override
    public void free(long devicePointer) {
        check(lib.hipFree(devicePointer), "hipFree(0x" + Long.toHexString(devicePointer) + ")");
    }

    @Override
    public long hostMalloc(long bytes) {
        LongByReference p = new LongByReference();
        check(lib.hipHostMalloc(p, bytes, HipAbi.HOST_MALLOC_DEFAULT), "hipHostMalloc(" + bytes + " bytes)");
        return p.getValue();
    }

    @Override
    public void hostFree(long hostPointer) {
        check(lib.hipHostFree(hostPointer), "hipHostFree(0x" + Long.toHexString(hostPointer) + ")");
    }

    @Override
    public void memset(long devicePointer, int value, long bytes) {
        check(lib.hipMemset(devicePointer, value, bytes), "hipMemset(0x" + Long.toHexString(devicePointer) + ", "
                + bytes + " bytes)");
    }

    @Override
    public PointerAttributes pointerAttributes(long pointer) {
        try (Memory m = new Memory(HipAbi.SIZEOF_POINTER_ATTRIBUTE)) {
            m.clear();
            int rc = lib.hipPointerGetAttributes(m, pointer);
            if (rc != 0) {
                lib.hipGetLastError(); // a failed query latches the error; clear it so later calls are not poisoned
                check(rc, "hipPointerGetAttributes(0x" + Long.toHexString(pointer) + ")");
            }
            return new PointerAttributes(HipAbi.memoryType(m.getInt(HipAbi.POINTER_ATTRIBUTE_TYPE), version),
                    m.getInt(HipAbi.POINTER_ATTRIBUTE_DEVICE), m.getLong(HipAbi.POINTER_ATTRIBUTE_DEVICE_POINTER),
                    m.getLong(HipAbi.POINTER_ATTRIBUTE_HOST_POINTER), m.getInt(HipAbi.POINTER_ATTRIBUTE_IS_MANAGED) != 0,
                    m.getInt(HipAbi.POINTER_ATTRIBUTE_ALLOCATION_FLAGS));
        }
    }

    @Override
    public byte[] ipcGetMemHandle(long devicePointer) {
        try (Memory m = new Memory(HipAbi.SIZEOF_IPC_MEM_HANDLE)) {
            check(lib.hipIpcGetMemHandle(m, devicePointer), "hipIpcGetMemHandle(0x" + Long.toHexString(devicePointer)
                    + ")");
            return m.getByteArray(0, HipAbi.SIZEOF_IPC_MEM_HANDLE);
        }
    }

    @Override
    public long ipcOpenMemHandle(byte[] handle) {
        if (handle.length != HipAbi.SIZEOF_IPC_MEM_HANDLE) {
            throw new IllegalArgumentException("a hipIpcMemHandle_t has " + HipAbi.SIZEOF_IPC_MEM_HANDLE
                    + " bytes, not " + handle.length);
        }
        LongByReference p = new LongByReference();
        check(lib.hipIpcOpenMemHandle(p, new LibAmdHip64.IpcMemHandle.ByValue(handle),
                HipAbi.ipcLazyEnablePeerAccess(version)), "hipIpcOpenMemHandle");
        return p.getValue();
    }

    @Override
    public void ipcCloseMemHandle(long mappedPointer) {
        check(lib.hipIpcCloseMemHandle(mappedPointer), "hipIpcCloseMemHandle(0x" + Long.toHexString(mappedPointer)
                + ")");
    }

    @Override
    public long streamCreate() {
        LongByReference s = new LongByReference();
        check(lib.hipStreamCreateWithFlags(s, HipAbi.STREAM_NON_BLOCKING), "hipStreamCreateWithFlags");
        return s.getValue();
    }

    @Override
    public void streamDestroy(long stream) {
        check(lib.hipStreamDestroy(stream), "hipStreamDestroy");
    }

    @Override
    public void memcpyAsync(long dst, long src, long bytes, long stream) {
        int rc = lib.hipMemcpyAsync(dst, src, bytes, HipAbi.MEMCPY_DEFAULT, stream);
        if (rc != 0) {
            check(rc, "hipMemcpyAsync(dst 0x" + Long.toHexString(dst) + ", src 0x" + Long.toHexString(src) + ", "
                    + bytes + " bytes)");
        }
    }

    @Override
    public void memcpy(long dst, long src, long bytes) {
        check(lib.hipMemcpy(dst, src, bytes, HipAbi.MEMCPY_DEFAULT), "hipMemcpy(dst 0x" + Long.toHexString(dst)
                + ", src 0x" + Long.toHexString(src) + ", " + bytes + " bytes)");
    }

    @Override
    public void streamSynchronize(long stream) {
        int rc = lib.hipStreamSynchronize(stream);
        if (rc != 0) {
            check(rc, "hipStreamSynchronize");
        }
    }

    @Override
    public boolean streamQuery(long stream) {
        int rc = lib.hipStreamQuery(stream);
        if (rc == HipAbi.ERROR_NOT_READY) {
            return false;
        }
        if (rc != 0) {
            check(rc, "hipStreamQuery");
        }
        return true;
    }

    @Override
    public String errorName(int status) {
        String n = lib.hipGetErrorName(status);
        return n == null ? "hipError " + status : n;
    }

    private void check(int rc, String call) {
        if (rc != 0) {
            throw new HipException(call, rc, errorName(rc), lib.hipGetErrorString(rc));
        }
    }

    @Override
    public String toString() {
        return "HIP runtime " + HipAbi.describeVersion(version) + " (" + library + ")";
    }
}
