package io.mooncake.device.cuda;

import com.sun.jna.Pointer;
import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.memory.AbstractAllocation;
import io.mooncake.engine.memory.Allocation;
import io.mooncake.engine.memory.DeviceMemoryAccess;
import io.mooncake.engine.memory.MemoryAllocator;
import io.mooncake.engine.memory.MemoryKind;
import io.mooncake.engine.memory.NativeMemory;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.cuda.Cuda;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CUDA memory for the engine, through the driver ({@code libcuda.so.1}): {@code cuda:N}
 * allocations ({@code cuMemAlloc}, zeroed), pointer checks at registration
 * ({@code cuPointerGetAttributes}: a host pointer registered as {@code cuda:N}, a pointer of another
 * device, or a range running past its allocation is refused; a device pointer registered as host
 * memory is named), pinned staging memory ({@code cuMemHostAlloc(PORTABLE)}) and the staging
 * copies (on a stream per staging thread and device, then synchronised). Where the driver cannot
 * be loaded or sees no device it is {@link #available() unavailable} with the reason, and
 * {@code cuda:N} registrations and allocations fail naming it. Thread-safe.
 */
public final class CudaDeviceMemory implements DeviceMemoryAccess, MemoryAllocator {

    private static final Logger log = LoggerFactory.getLogger(CudaDeviceMemory.class);

    private final Supplier<Loaded<Cuda>> loader;
    private volatile State state;
    private final ThreadLocal<Pointer[]> streams = ThreadLocal.withInitial(() -> new Pointer[64]);

    private record State(Cuda cuda, String reason, int devices, int driver) {
    }

    /** Over the real driver (what ServiceLoader builds). */
    public CudaDeviceMemory() {
        this(Cuda::load);
    }

    /** Over the driver {@code loader} gives (a test double where no GPU exists). */
    public CudaDeviceMemory(Supplier<Loaded<Cuda>> loader) {
        this.loader = Objects.requireNonNull(loader, "loader");
    }

    private State state() {
        State s = state;
        if (s == null) {
            synchronized (this) {
                s = state;
                if (s == null) {
                    s = open();
                    state = s;
                }
            }
        }
        return s;
    }

    private State open() {
        Loaded<Cuda> l = loader.get();
        if (!l.isLoaded()) {
            return new State(null, "the CUDA driver library " + l.name() + " cannot be loaded (" + l.failure()
                    + "); install the NVIDIA driver, or in a container run with the NVIDIA container toolkit "
                    + "(--gpus all)", 0, 0);
        }
        Cuda cuda = l.library();
        try {
            int n = cuda.deviceCount();
            int driver = cuda.driverVersion();
            if (n == 0) {
                return new State(null, "the CUDA driver sees no GPU (CUDA_VISIBLE_DEVICES='"
                        + System.getenv("CUDA_VISIBLE_DEVICES") + "')", 0, driver);
            }
            log.info("CUDA driver {} with {} GPU(s): cuda:N memory can be allocated and registered", driver, n);
            return new State(cuda, null, n, driver);
        } catch (MooncakeException e) {
            return new State(null, e.getMessage(), 0, 0);
        }
    }

    /** The driver facade, or throws naming why there is none. */
    public Cuda cuda() {
        State s = state();
        if (s.cuda() == null) {
            throw new MooncakeException(ErrorCode.DEVICE_NOT_FOUND, s.reason());
        }
        return s.cuda();
    }

    @Override
    public String name() {
        State s = state();
        return "cuda (" + (s.cuda() == null ? "unavailable" : s.devices() + " GPU(s), driver " + s.driver()) + ")";
    }

    @Override
    public boolean serves(String location) {
        return location != null && location.startsWith("cuda:");
    }

    @Override
    public boolean available() {
        return state().cuda() != null;
    }

    @Override
    public String unavailableReason() {
        return state().reason();
    }

    /** The ordinal of {@code cuda:N}; throws naming the location otherwise. */
    public int ordinal(String location) {
        if (!serves(location)) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "'" + location + "' is not a CUDA location; "
                    + "use cuda:N");
        }
        try {
            int n = Integer.parseInt(location.substring(5));
            State s = state();
            if (n < 0 || (s.cuda() != null && n >= s.devices())) {
                throw new MooncakeException(ErrorCode.DEVICE_NOT_FOUND, "location '" + location + "' names GPU " + n
                        + " but the CUDA driver sees " + s.devices() + " (cuda:0 to cuda:" + (s.devices() - 1) + ")");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "location '" + location
                    + "' has no GPU number; use cuda:N such as cuda:0");
        }
    }

    @Override
    public String locate(long address) {
        State s = state();
        if (s.cuda() == null) {
            return null;
        }
        Cuda.PointerInfo p = s.cuda().pointer(address);
        return p.isDevice() ? "cuda:" + p.device() : null;
    }

    @Override
    public void checkDeviceRange(long address, long length, String location) {
        int ordinal = ordinal(location);
        Cuda.PointerInfo p = cuda().pointer(address);
        String at = "0x" + Long.toHexString(address);
        if (!p.isDevice()) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, at + " is " + p.typeName() + ", not " + location
                    + " device memory; register host memory with a cpu location such as cpu:0");
        }
        if (p.device() != ordinal) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, at + " is cuda:" + p.device()
                    + " device memory but was registered as " + location + "; register it with location cuda:"
                    + p.device());
        }
        long end = p.rangeStart() + p.rangeSize();
        if (p.rangeSize() > 0 && (address + length > end || address + length < address)) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, at + " + " + length + " bytes runs past its "
                    + "CUDA allocation [0x" + Long.toHexString(p.rangeStart()) + ", +" + p.rangeSize()
                    + "); register at most " + (end - address) + " bytes");
        }
    }

    @Override
    public Allocation allocatePinned(long length) {
        Cuda cuda = cuda();
        long host = cuda.hostAlloc(0, length);
        NativeMemory.fill(host, length, (byte) 0);
        return AbstractAllocation.of(host, length, MemoryKind.HOST, "pinned host memory", () -> cuda.freeHost(0, host));
    }

    @Override
    public void copyToHost(long host, long device, long length) {
        Cuda cuda = cuda();
        int ordinal = cuda.pointer(device).device();
        Pointer stream = stream(cuda, ordinal);
        cuda.copyToHostAsync(host, device, length, stream);
        cuda.synchronize(stream);
    }

    @Override
    public void copyToDevice(long device, long host, long length) {
        Cuda cuda = cuda();
        int ordinal = cuda.pointer(device).device();
        Pointer stream = stream(cuda, ordinal);
        cuda.copyToDeviceAsync(device, host, length, stream);
        cuda.synchronize(stream);
    }

    /** This thread's stream on a device (made once per thread and device; bound before use). */
    private Pointer stream(Cuda cuda, int ordinal) {
        Pointer[] mine = streams.get();
        cuda.bind(ordinal);
        Pointer s = mine[ordinal];
        if (s == null) {
            s = cuda.createStream(ordinal);
            mine[ordinal] = s;
        }
        return s;
    }

    // ---- MemoryAllocator for cuda:N

    @Override
    public Allocation allocate(long length, String location) {
        int ordinal = ordinal(location);
        Cuda cuda = cuda();
        long dptr = cuda.alloc(ordinal, length);
        try {
            cuda.memset(ordinal, dptr, (byte) 0, length);
        } catch (MooncakeException e) {
            cuda.free(ordinal, dptr);
            throw e;
        }
        return AbstractAllocation.of(dptr, length, MemoryKind.DEVICE, location, () -> cuda.free(ordinal, dptr));
    }
}
