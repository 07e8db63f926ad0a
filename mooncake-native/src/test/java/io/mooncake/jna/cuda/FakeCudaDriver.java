package io.mooncake.jna.cuda;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import io.mooncake.engine.memory.NativeMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TEST DOUBLE of the CUDA driver ({@link LibCuda}), standing for hardware absent on this machine
 * (no GPU, no libcuda): "device memory" is host memory from the C heap that this fake tracks as
 * allocations of device {@code N}, copies are memcpy, streams and events are tokens, and an IPC
 * handle is 64 bytes naming the allocation (magic, base), which {@code cuIpcOpenMemHandle} maps to
 * the same base (one process plays both sides). It keeps the driver's contracts the code under
 * test relies on: error codes with names ({@code cuGetErrorName}), pointer attributes reading 0
 * for unknown memory, IPC handles of the allocation base only, and counts opens and closes. The
 * real driver is exercised by the GPU tests on a GPU machine ({@code mooncake-native/bin/gpu-check}).
 */
public class FakeCudaDriver implements LibCuda {

    private static final long MAGIC = 0x4D43464B43554441L; // "MCFKCUDA"

    private record Alloc(long base, long size, int device, int type) {
    }

    private final int devices;
    private final ConcurrentSkipListMap<Long, Alloc> allocations = new ConcurrentSkipListMap<>();
    private final Map<Integer, Memory> strings = new ConcurrentHashMap<>();
    public final AtomicInteger ipcOpens = new AtomicInteger();
    public final AtomicInteger ipcCloses = new AtomicInteger();
    public final AtomicInteger copies = new AtomicInteger();
    public volatile int failNextAlloc;
    private volatile CountDownLatch copyGate;

    public FakeCudaDriver(int devices) {
        this.devices = devices;
    }

    /** From now on copies wait until {@link #releaseCopies()}. */
    public void blockCopies() {
        copyGate = new CountDownLatch(1);
    }

    public void releaseCopies() {
        CountDownLatch g = copyGate;
        copyGate = null;
        if (g != null) {
            g.countDown();
        }
    }

    /** Allocations live now. */
    public int liveAllocations() {
        return allocations.size();
    }

    private Alloc find(long ptr) {
        Map.Entry<Long, Alloc> e = allocations.floorEntry(ptr);
        return e != null && ptr < e.getKey() + e.getValue().size() ? e.getValue() : null;
    }

    private final ThreadLocal<Integer> current = ThreadLocal.withInitial(() -> -1);

    @Override
    public int cuInit(int flags) {
        return 0;
    }

    @Override
    public int cuDriverGetVersion(IntByReference version) {
        version.setValue(13000);
        return 0;
    }

    @Override
    public int cuGetErrorName(int error, PointerByReference name) {
        String n = switch (error) {
            case 1 -> "CUDA_ERROR_INVALID_VALUE";
            case 2 -> "CUDA_ERROR_OUT_OF_MEMORY";
            case 101 -> "CUDA_ERROR_INVALID_DEVICE";
            case 201 -> "CUDA_ERROR_INVALID_CONTEXT";
            default -> null;
        };
        if (n == null) {
            return 1;
        }
        name.setValue(string(error, n));
        return 0;
    }

    @Override
    public int cuGetErrorString(int error, PointerByReference text) {
        String n = switch (error) {
            case 1 -> "invalid argument";
            case 2 -> "out of memory";
            case 101 -> "invalid device ordinal";
            case 201 -> "invalid device context";
            default -> null;
        };
        if (n == null) {
            return 1;
        }
        text.setValue(string(-error - 1, n));
        return 0;
    }

    private Pointer string(int key, String s) {
        return strings.computeIfAbsent(key, k -> {
            Memory m = new Memory(s.length() + 1);
            m.setString(0, s);
            return m;
        });
    }

    @Override
    public int cuDeviceGetCount(IntByReference count) {
        count.setValue(devices);
        return 0;
    }

    @Override
    public int cuDeviceGet(IntByReference device, int ordinal) {
        if (ordinal < 0 || ordinal >= devices) {
            return 101;
        }
        device.setValue(ordinal);
        return 0;
    }

    @Override
    public int cuDeviceGetAttribute(IntByReference value, int attribute, int device) {
        value.setValue(attribute == CudaAbi.DEVICE_ATTRIBUTE_HANDLE_TYPE_FABRIC_SUPPORTED ? 0 : 1);
        return 0;
    }

    @Override
    public int cuDevicePrimaryCtxRetain(PointerByReference context, int device) {
        context.setValue(new Pointer(0x1000 + device));
        return 0;
    }

    @Override
    public int cuDevicePrimaryCtxRelease_v2(int device) {
        return 0;
    }

    @Override
    public int cuCtxSetCurrent(Pointer context) {
        current.set((int) (Pointer.nativeValue(context) - 0x1000));
        return 0;
    }

    private long malloc(long bytes, int device, int type) {
        long a = NativeMemory.allocate(bytes);
        allocations.put(a, new Alloc(a, bytes, device, type));
        return a;
    }

    @Override
    public int cuMemAlloc_v2(LongByReference dptr, long bytes) {
        if (current.get() < 0) {
            return 201;
        }
        if (failNextAlloc != 0) {
            int rc = failNextAlloc;
            failNextAlloc = 0;
            return rc;
        }
        dptr.setValue(malloc(bytes, current.get(), CudaAbi.MEMORYTYPE_DEVICE));
        return 0;
    }

    @Override
    public int cuMemFree_v2(long dptr) {
        Alloc a = allocations.remove(dptr);
        if (a == null) {
            return 1;
        }
        NativeMemory.free(dptr);
        return 0;
    }

    @Override
    public int cuMemHostAlloc(PointerByReference pointer, long bytes, int flags) {
        pointer.setValue(new Pointer(malloc(bytes, 0, CudaAbi.MEMORYTYPE_HOST)));
        return 0;
    }

    @Override
    public int cuMemFreeHost(Pointer pointer) {
        return cuMemFree_v2(Pointer.nativeValue(pointer));
    }

    @Override
    public int cuMemsetD8_v2(long dptr, byte value, long count) {
        NativeMemory.fill(dptr, count, value);
        return 0;
    }

    @Override
    public int cuMemGetAddressRange_v2(LongByReference base, LongByReference size, long dptr) {
        Alloc a = find(dptr);
        if (a == null) {
            return 1;
        }
        base.setValue(a.base());
        size.setValue(a.size());
        return 0;
    }

    @Override
    public int cuPointerGetAttribute(Pointer data, int attribute, long ptr) {
        return 1;
    }

    @Override
    public int cuPointerGetAttributes(int count, int[] attributes, Pointer[] data, long ptr) {
        Alloc a = find(ptr);
        for (int i = 0; i < count; i++) {
            switch (attributes[i]) {
                case CudaAbi.POINTER_ATTRIBUTE_MEMORY_TYPE -> data[i].setInt(0, a == null ? 0 : a.type());
                case CudaAbi.POINTER_ATTRIBUTE_DEVICE_ORDINAL -> data[i].setInt(0, a == null ? -2 : a.device());
                case CudaAbi.POINTER_ATTRIBUTE_RANGE_START_ADDR -> data[i].setLong(0, a == null ? 0 : a.base());
                case CudaAbi.POINTER_ATTRIBUTE_RANGE_SIZE -> data[i].setLong(0, a == null ? 0 : a.size());
                default -> {
                    return 1;
                }
            }
        }
        return 0;
    }

    private int copy(long dst, long src, long bytes) {
        CountDownLatch g = copyGate;
        if (g != null) {
            try {
                g.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        copies.incrementAndGet();
        NativeMemory.copy(src, dst, bytes);
        return 0;
    }

    @Override
    public int cuMemcpyAsync(long dst, long src, long bytes, Pointer stream) {
        return copy(dst, src, bytes);
    }

    @Override
    public int cuMemcpyHtoDAsync_v2(long dstDevice, long srcHost, long bytes, Pointer stream) {
        return copy(dstDevice, srcHost, bytes);
    }

    @Override
    public int cuMemcpyDtoHAsync_v2(long dstHost, long srcDevice, long bytes, Pointer stream) {
        return copy(dstHost, srcDevice, bytes);
    }

    @Override
    public int cuMemcpyDtoDAsync_v2(long dstDevice, long srcDevice, long bytes, Pointer stream) {
        return copy(dstDevice, srcDevice, bytes);
    }

    @Override
    public int cuMemcpyDtoD_v2(long dstDevice, long srcDevice, long bytes) {
        return copy(dstDevice, srcDevice, bytes);
    }

    @Override
    public int cuStreamCreate(PointerByReference stream, int flags) {
        stream.setValue(new Pointer(0x2000));
        return 0;
    }

    @Override
    public int cuStreamSynchronize(Pointer stream) {
        return 0;
    }

    @Override
    public int cuStreamQuery(Pointer stream) {
        return 0;
    }

    @Override
    public int cuStreamDestroy_v2(Pointer stream) {
        return 0;
    }

    @Override
    public int cuEventCreate(PointerByReference event, int flags) {
        event.setValue(new Pointer(0x3000));
        return 0;
    }

    @Override
    public int cuEventRecord(Pointer event, Pointer stream) {
        return 0;
    }

    @Override
    public int cuEventQuery(Pointer event) {
        return 0;
    }

    @Override
    public int cuEventSynchronize(Pointer event) {
        return 0;
    }

    @Override
    public int cuEventDestroy_v2(Pointer event) {
        return 0;
    }

    @Override
    public int cuIpcGetMemHandle(byte[] handle, long dptr) {
        Alloc a = allocations.get(dptr);
        if (a == null || a.type() != CudaAbi.MEMORYTYPE_DEVICE) {
            return 1; // the driver wants the allocation base
        }
        ByteBuffer b = ByteBuffer.wrap(handle).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(MAGIC).putLong(a.base()).putLong(a.size()).putLong(a.device());
        return 0;
    }

    @Override
    public int cuIpcOpenMemHandle_v2(LongByReference dptr, CudaAbi.IpcMemHandle handle, int flags) {
        ByteBuffer b = ByteBuffer.wrap(handle.reserved).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getLong() != MAGIC) {
            return 1;
        }
        long base = b.getLong();
        if (!allocations.containsKey(base)) {
            return 1;
        }
        ipcOpens.incrementAndGet();
        dptr.setValue(base);
        return 0;
    }

    @Override
    public int cuIpcCloseMemHandle(long dptr) {
        ipcCloses.incrementAndGet();
        return 0;
    }

    @Override
    public int cuMemGetAllocationGranularity(LongByReference granularity, Pointer prop, int option) {
        granularity.setValue(2 << 20);
        return 0;
    }

    @Override
    public int cuMemCreate(LongByReference handle, long size, Pointer prop, long flags) {
        return 801;
    }

    @Override
    public int cuMemRelease(long handle) {
        return 1;
    }

    @Override
    public int cuMemAddressReserve(LongByReference ptr, long size, long alignment, long addr, long flags) {
        return 801;
    }

    @Override
    public int cuMemAddressFree(long ptr, long size) {
        return 1;
    }

    @Override
    public int cuMemMap(long ptr, long size, long offset, long handle, long flags) {
        return 801;
    }

    @Override
    public int cuMemUnmap(long ptr, long size) {
        return 1;
    }

    @Override
    public int cuMemSetAccess(long ptr, long size, Pointer desc, long count) {
        return 801;
    }

    @Override
    public int cuMemExportToShareableHandle(Pointer shareableHandle, long handle, int handleType, long flags) {
        return 801;
    }

    @Override
    public int cuMemImportFromShareableHandle(LongByReference handle, Pointer osHandle, int handleType) {
        return 801;
    }
}
