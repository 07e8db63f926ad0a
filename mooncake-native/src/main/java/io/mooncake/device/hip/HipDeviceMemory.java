package io.mooncake.device.hip;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.memory.AbstractAllocation;
import io.mooncake.engine.memory.Allocation;
import io.mooncake.engine.memory.DeviceMemoryAccess;
import io.mooncake.engine.memory.MemoryAllocator;
import io.mooncake.engine.memory.MemoryKind;
import io.mooncake.jna.hip.Hip;
import io.mooncake.jna.hip.HipException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AMD GPU memory for the engine ({@code hip:N} locations): the {@link DeviceMemoryAccess} the
 * engine uses to check registrations and to stage device memory through pinned host memory for
 * host-only transports, and the {@link MemoryAllocator} behind {@code allocateBuffer(n, "hip:N")}
 * ({@code hipMalloc} on device N, zeroed). Found by {@link java.util.ServiceLoader}.
 *
 * <p>The runtime is loaded lazily, on the first question about a {@code hip:} location or a host
 * pointer: a host without {@code /dev/kfd} (or with {@code MC_DISABLE_HIP} set) answers
 * unavailable without loading {@code libamdhip64} at all. On a host with an AMD GPU the first
 * registration of any engine loads and initialises the runtime, so that every registration can be
 * checked (a device pointer registered as {@code cpu:N} is refused). Thread-safe.
 */
public final class HipDeviceMemory implements DeviceMemoryAccess, MemoryAllocator {

    private static final Logger log = LoggerFactory.getLogger(HipDeviceMemory.class);
    private static final String PREFIX = "hip:";

    private final Supplier<HipRuntime> source;
    private volatile HipRuntime runtime;
    private final AtomicBoolean logged = new AtomicBoolean();

    /** Over the real runtime (what {@link java.util.ServiceLoader} builds). */
    public HipDeviceMemory() {
        this(() -> {
            if (io.mooncake.engine.config.EnvironmentVariables.flag(System.getenv(), "MC_DISABLE_HIP")) {
                return new HipRuntime(null, 0, "MC_DISABLE_HIP is set");
            }
            return HipRuntime.kfdPresent() ? HipRuntime.real(System.getenv())
                    : new HipRuntime(null, 0, "no AMD GPU: /dev/kfd does not exist (the amdgpu kernel driver is not "
                            + "loaded, or the container was started without --device=/dev/kfd --device=/dev/dri)");
        });
    }

    /** Over a given runtime (tests: a test double standing for AMD GPUs). */
    public HipDeviceMemory(Supplier<HipRuntime> source) {
        this.source = source;
    }

    private HipRuntime runtime() {
        HipRuntime r = runtime;
        if (r == null) {
            r = source.get();
            runtime = r;
            if (logged.compareAndSet(false, true)) {
                if (r.usable()) {
                    log.info("AMD GPU memory (hip:N) served by {} with {} device(s)", r.hip().library(), r.devices());
                } else {
                    log.debug("AMD GPU memory (hip:N) unavailable: {}", r.unavailable());
                }
            }
        }
        return r;
    }

    private Hip hip(String what) {
        HipRuntime r = runtime();
        if (!r.usable()) {
            throw new MooncakeException(ErrorCode.DEVICE_NOT_FOUND, what + ": " + r.unavailable());
        }
        return r.hip();
    }

    @Override
    public String name() {
        HipRuntime r = runtime;
        return r != null && r.usable() ? "hip (" + r.hip().library() + ")" : "hip";
    }

    @Override
    public boolean serves(String location) {
        return location != null && location.startsWith(PREFIX);
    }

    @Override
    public boolean available() {
        return runtime().usable();
    }

    @Override
    public String unavailableReason() {
        return runtime().unavailable();
    }

    /** The device index of a {@code hip:N} location. */
    public static int device(String location) {
        if (location == null || !location.startsWith(PREFIX)) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "location '" + location + "' is not hip:<N>");
        }
        try {
            int n = Integer.parseInt(location.substring(PREFIX.length()));
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "location '" + location
                + "' names no AMD GPU: expected hip:<index>, such as hip:0");
    }

    @Override
    public String locate(long address) {
        HipRuntime r = runtime();
        if (!r.usable()) {
            return null;
        }
        try {
            Hip.PointerAttributes a = r.hip().pointerAttributes(address);
            return a.type() == Hip.MemoryType.DEVICE ? PREFIX + a.device() : null;
        } catch (HipException e) {
            return null; // ROCm 5 answers hipErrorInvalidValue for memory it does not know: host memory
        }
    }

    @Override
    public void checkDeviceRange(long address, long length, String location) {
        int device = device(location);
        Hip hip = hip("cannot register 0x" + Long.toHexString(address) + " as '" + location + "'");
        String actual;
        Hip.PointerAttributes a;
        try {
            a = hip.pointerAttributes(address);
            actual = a.type() == Hip.MemoryType.DEVICE ? PREFIX + a.device() : a.type().name().toLowerCase() + " memory";
        } catch (HipException e) {
            a = null;
            actual = "not memory the HIP runtime knows (" + e.errorName() + "): host memory";
        }
        if (a == null || a.type() != Hip.MemoryType.DEVICE || a.device() != device) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "0x" + Long.toHexString(address)
                    + " was registered with location '" + location + "' but is " + actual
                    + "; register device memory with the hip:<N> of the GPU that allocated it, and host memory with"
                    + " cpu:<numa>");
        }
        if (length > 0) {
            try {
                Hip.PointerAttributes last = hip.pointerAttributes(address + length - 1);
                if (last.type() != Hip.MemoryType.DEVICE || last.device() != device) {
                    throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "[0x" + Long.toHexString(address)
                            + ", +" + length + ") registered as '" + location + "' runs past the end of its device "
                            + "allocation; register at most the bytes hipMalloc returned");
                }
            } catch (HipException e) {
                throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "[0x" + Long.toHexString(address) + ", +"
                        + length + ") registered as '" + location + "' runs past the end of its device allocation ("
                        + e.getMessage() + ")");
            }
        }
    }

    @Override
    public Allocation allocatePinned(long length) {
        Hip hip = hip("cannot allocate " + length + " bytes of pinned host memory");
        long p;
        try {
            p = hip.hostMalloc(length);
        } catch (HipException e) {
            throw new MooncakeException(ErrorCode.MEMORY, "cannot allocate " + length
                    + " bytes of pinned host memory: " + e.getMessage(), e);
        }
        io.mooncake.engine.memory.NativeMemory.fill(p, length, (byte) 0);
        return AbstractAllocation.of(p, length, MemoryKind.HOST, "pinned host memory", () -> hip.hostFree(p));
    }

    @Override
    public void copyToHost(long host, long device, long length) {
        hip("cannot copy from AMD GPU memory").memcpy(host, device, length);
    }

    @Override
    public void copyToDevice(long device, long host, long length) {
        hip("cannot copy to AMD GPU memory").memcpy(device, host, length);
    }

    @Override
    public Allocation allocate(long length, String location) {
        int device = device(location);
        Hip hip = hip("cannot allocate " + length + " bytes on " + location);
        HipRuntime r = runtime;
        if (device >= r.devices()) {
            throw new MooncakeException(ErrorCode.DEVICE_NOT_FOUND, "cannot allocate " + length + " bytes on "
                    + location + ": the HIP runtime sees " + r.devices() + " GPU(s) (hip:0 to hip:" + (r.devices() - 1)
                    + ")");
        }
        long p;
        int previous = -1;
        try {
            previous = hip.currentDevice();
            hip.setDevice(device);
            p = hip.malloc(length);
            try {
                hip.memset(p, 0, length);
            } catch (HipException e) {
                hip.free(p);
                throw e;
            }
        } catch (HipException e) {
            throw new MooncakeException(ErrorCode.MEMORY, "cannot allocate " + length + " bytes on " + location + ": "
                    + e.getMessage(), e);
        } finally {
            if (previous >= 0 && previous != device) {
                hip.setDevice(previous); // the current device is per thread: leave the caller's as it was
            }
        }
        return AbstractAllocation.of(p, length, MemoryKind.DEVICE, location, () -> hip.free(p));
    }
}
