package io.mooncake.testing;

import io.mooncake.engine.memory.NativeMemory;
import io.mooncake.engine.memory.SharedMapping;
import io.mooncake.jna.hip.Hip;
import io.mooncake.jna.hip.HipAbi;
import io.mooncake.jna.hip.HipException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TEST DOUBLE of the HIP runtime, standing for AMD GPUs, which cannot exist on this project's
 * build machines. It exercises everything of the {@code hip} transport that does not need a GPU:
 * handles in descriptors, opening each peer allocation once, address relocation, streams, the
 * request states. What it cannot prove (real DMA, ROCm's IPC semantics, timings) is checked only
 * by the GPU tests ({@code HipTransportContractTests} with {@code -Dmooncake.gpu.required=true}).
 *
 * <p>A {@link Gpus} is the simulated machine; each {@code HipTestDouble} is one "process" on it.
 * "Device memory" is a shared-memory file mapped into this JVM, so that opening an IPC handle maps
 * the same bytes again at another address, as {@code hipIpcOpenMemHandle} does; a transport that
 * forgot to relocate a peer address would copy into the wrong place, and a copy outside the mapped
 * allocation fails with {@code hipErrorInvalidValue} instead of touching memory. A process may
 * not open its own handles (ROCm refuses that too). Copies run on one thread per stream.
 * Numbers follow ROCm 5.2 (pointer attributes of host memory answer {@code hipErrorInvalidValue}).
 */
public final class HipTestDouble implements Hip {

    /** The simulated machine: its GPUs and every device allocation by every process. */
    public static final class Gpus implements AutoCloseable {
        final int devices;
        final Path dir;
        final AtomicLong ids = new AtomicLong(1);
        final Map<Long, Allocation> byId = new ConcurrentHashMap<>();
        /** Every device-memory range mapped in this JVM (exports and opened handles), by start address. */
        final NavigableMap<Long, Range> ranges = new ConcurrentSkipListMap<>();
        final AtomicInteger processes = new AtomicInteger();
        /** Copies hold here while set (a GPU that stopped making progress). */
        volatile CountDownLatch stall;
        /** hipIpcOpenMemHandle answers this error while non-zero. */
        volatile int openError;
        final AtomicInteger opens = new AtomicInteger();
        final AtomicInteger closes = new AtomicInteger();
        /** Every process made so far, for {@link #awaitCopies()}. */
        final java.util.List<HipTestDouble> made = new java.util.concurrent.CopyOnWriteArrayList<>();

        public Gpus(int devices) {
            this.devices = devices;
            try {
                this.dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "hip-double-");
                this.dir.toFile().deleteOnExit();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** A new process on this machine. */
        public HipTestDouble process() {
            HipTestDouble p = new HipTestDouble(this, processes.incrementAndGet());
            made.add(p);
            return p;
        }

        /**
         * Waits until every copy posted so far on any stream of any process has run (a real GPU's
         * copies posted before a cancel still land: a test that reuses their range waits for them).
         */
        public void awaitCopies() throws Exception {
            for (HipTestDouble p : made) {
                for (ExecutorService s : p.streams.values()) {
                    try {
                        s.submit(() -> { }).get(30, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (java.util.concurrent.RejectedExecutionException e) {
                        // a stream destroyed since: nothing left on it
                    }
                }
            }
        }

        /** Makes every copy wait until {@link #resume()}. */
        public void stall() {
            stall = new CountDownLatch(1);
        }

        public void resume() {
            CountDownLatch l = stall;
            stall = null;
            if (l != null) {
                l.countDown();
            }
        }

        /** Makes hipIpcOpenMemHandle fail with {@code status} (0: succeed again). */
        public void failOpens(int status) {
            openError = status;
        }

        /** How many handles were opened and closed so far. */
        public int opens() {
            return opens.get();
        }

        public int closes() {
            return closes.get();
        }

        Range range(long address, long length) {
            Map.Entry<Long, Range> e = ranges.floorEntry(address);
            if (e == null) {
                return null;
            }
            Range r = e.getValue();
            return address - r.start < r.length ? r : null;
        }

        /** Resumes stalled copies and removes the backing files; mappings live until freed or closed. */
        @Override
        public void close() {
            resume();
            try (var s = Files.list(dir)) {
                s.forEach(p -> p.toFile().delete());
                Files.deleteIfExists(dir);
            } catch (IOException e) {
                // best effort
            }
        }
    }

    record Allocation(long id, int process, int device, SharedMapping mapping) {
    }

    /** A range of device memory as mapped in this JVM: an allocation, or a handle opened by a process. */
    record Range(long start, long length, Allocation allocation, int openedBy, SharedMapping opened) {
    }

    private static final byte[] MAGIC = "HIPDOUBL".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private final Gpus gpus;
    private final int process;
    private final ThreadLocal<int[]> current = ThreadLocal.withInitial(() -> new int[1]);
    private final Map<Long, ExecutorService> streams = new ConcurrentHashMap<>();
    private final AtomicLong streamIds = new AtomicLong(0x5000);

    private HipTestDouble(Gpus gpus, int process) {
        this.gpus = gpus;
        this.process = process;
    }

    private static HipException error(String call, int status, String name) {
        return new HipException(call, status, name, name);
    }

    @Override
    public String library() {
        return "HIP test double (process " + process + "; stands for AMD GPUs, absent on this machine)";
    }

    @Override
    public int runtimeVersion() {
        return 50_221_153;
    }

    @Override
    public void init() {
        if (gpus.devices == 0) {
            throw error("hipInit(0)", HipAbi.ERROR_INVALID_DEVICE, "hipErrorInvalidDevice");
        }
    }

    @Override
    public int deviceCount() {
        if (gpus.devices == 0) {
            throw error("hipGetDeviceCount", HipAbi.ERROR_NO_DEVICE, "hipErrorNoDevice");
        }
        return gpus.devices;
    }

    @Override
    public int currentDevice() {
        return current.get()[0];
    }

    @Override
    public void setDevice(int device) {
        if (device < 0 || device >= gpus.devices) {
            throw error("hipSetDevice(" + device + ")", HipAbi.ERROR_INVALID_DEVICE, "hipErrorInvalidDevice");
        }
        current.get()[0] = device;
    }

    @Override
    public long malloc(long bytes) {
        deviceCount();
        SharedMapping m = SharedMapping.create(gpus.dir, bytes);
        Allocation a = new Allocation(gpus.ids.getAndIncrement(), process, current.get()[0], m);
        gpus.byId.put(a.id(), a);
        gpus.ranges.put(m.address(), new Range(m.address(), bytes, a, 0, null));
        return m.address();
    }

    @Override
    public void free(long devicePointer) {
        Range r = gpus.ranges.get(devicePointer);
        if (r == null || r.opened() != null || r.allocation().process() != process) {
            throw error("hipFree(0x" + Long.toHexString(devicePointer) + ")", HipAbi.ERROR_INVALID_VALUE,
                    "hipErrorInvalidValue");
        }
        gpus.ranges.remove(devicePointer);
        gpus.byId.remove(r.allocation().id());
        r.allocation().mapping().close();
    }

    @Override
    public long hostMalloc(long bytes) {
        long p = NativeMemory.allocate(bytes);
        NativeMemory.fill(p, bytes, (byte) 0);
        return p;
    }

    @Override
    public void hostFree(long hostPointer) {
        NativeMemory.free(hostPointer);
    }

    @Override
    public void memset(long devicePointer, int value, long bytes) {
        checkDevice("hipMemset", devicePointer, bytes);
        NativeMemory.fill(devicePointer, bytes, (byte) value);
    }

    @Override
    public PointerAttributes pointerAttributes(long pointer) {
        Range r = gpus.range(pointer, 1);
        if (r == null) {
            throw error("hipPointerGetAttributes(0x" + Long.toHexString(pointer) + ")", HipAbi.ERROR_INVALID_VALUE,
                    "hipErrorInvalidValue");
        }
        return new PointerAttributes(MemoryType.DEVICE, r.allocation().device(), pointer, 0, false, 0);
    }

    @Override
    public byte[] ipcGetMemHandle(long devicePointer) {
        Range r = gpus.range(devicePointer, 1);
        if (r == null || r.opened() != null) {
            throw error("hipIpcGetMemHandle(0x" + Long.toHexString(devicePointer) + ")", HipAbi.ERROR_INVALID_VALUE,
                    "hipErrorInvalidValue");
        }
        ByteBuffer b = ByteBuffer.allocate(HipAbi.SIZEOF_IPC_MEM_HANDLE);
        b.put(MAGIC).putLong(r.allocation().id()).putLong(devicePointer - r.start()).putInt(process);
        return b.array();
    }

    @Override
    public long ipcOpenMemHandle(byte[] handle) {
        if (gpus.openError != 0) {
            throw error("hipIpcOpenMemHandle", gpus.openError, "hipErrorInvalidHandle");
        }
        ByteBuffer b = ByteBuffer.wrap(handle);
        byte[] magic = new byte[MAGIC.length];
        b.get(magic);
        Allocation a = java.util.Arrays.equals(magic, MAGIC) ? gpus.byId.get(b.getLong()) : null;
        long offset = b.getLong();
        if (a == null) {
            throw error("hipIpcOpenMemHandle", HipAbi.ERROR_INVALID_VALUE, "hipErrorInvalidValue");
        }
        if (a.process() == process) {
            throw error("hipIpcOpenMemHandle", 201, "hipErrorInvalidContext"); // a process cannot open its own handle
        }
        SharedMapping m = SharedMapping.open(gpus.dir, a.mapping().name(), a.mapping().length());
        gpus.ranges.put(m.address(), new Range(m.address(), m.length(), a, process, m));
        gpus.opens.incrementAndGet();
        return m.address() + offset;
    }

    @Override
    public void ipcCloseMemHandle(long mappedPointer) {
        Range r = gpus.range(mappedPointer, 1);
        if (r == null || r.opened() == null || r.openedBy() != process) {
            throw error("hipIpcCloseMemHandle(0x" + Long.toHexString(mappedPointer) + ")", HipAbi.ERROR_INVALID_VALUE,
                    "hipErrorInvalidValue");
        }
        gpus.ranges.remove(r.start());
        r.opened().close();
        gpus.closes.incrementAndGet();
    }

    @Override
    public long streamCreate() {
        long id = streamIds.incrementAndGet();
        streams.put(id, Executors.newSingleThreadExecutor(t -> {
            Thread th = new Thread(t, "hip-double-stream-" + id);
            th.setDaemon(true);
            return th;
        }));
        return id;
    }

    @Override
    public void streamDestroy(long stream) {
        ExecutorService s = streams.remove(stream);
        if (s == null) {
            throw error("hipStreamDestroy", 400, "hipErrorInvalidHandle");
        }
        s.shutdown();
    }

    private ExecutorService stream(String call, long stream) {
        ExecutorService s = streams.get(stream);
        if (s == null) {
            throw error(call, 400, "hipErrorInvalidHandle");
        }
        return s;
    }

    /** A range that touches device memory must lie inside one mapped allocation. */
    private void checkDevice(String call, long address, long bytes) {
        Range r = gpus.range(address, 1);
        Range last = gpus.range(address + Math.max(bytes, 1) - 1, 1);
        if (r != last) {
            throw error(call + " at 0x" + Long.toHexString(address) + " (" + bytes + " bytes)",
                    HipAbi.ERROR_INVALID_VALUE, "hipErrorInvalidValue");
        }
    }

    @Override
    public void memcpyAsync(long dst, long src, long bytes, long stream) {
        checkDevice("hipMemcpyAsync", dst, bytes);
        checkDevice("hipMemcpyAsync", src, bytes);
        stream("hipMemcpyAsync", stream).execute(() -> {
            CountDownLatch l = gpus.stall;
            if (l != null) {
                try {
                    l.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            NativeMemory.copy(src, dst, bytes);
        });
    }

    @Override
    public void memcpy(long dst, long src, long bytes) {
        checkDevice("hipMemcpy", dst, bytes);
        checkDevice("hipMemcpy", src, bytes);
        NativeMemory.copy(src, dst, bytes);
    }

    @Override
    public void streamSynchronize(long stream) {
        Future<?> f = stream("hipStreamSynchronize", stream).submit(() -> { });
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw error("hipStreamSynchronize", 999, "hipErrorUnknown");
        } catch (java.util.concurrent.ExecutionException e) {
            throw error("hipStreamSynchronize", 999, "hipErrorUnknown");
        }
    }

    @Override
    public boolean streamQuery(long stream) {
        Future<?> f = stream("hipStreamQuery", stream).submit(() -> { });
        try {
            f.get(0, TimeUnit.NANOSECONDS);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    @Override
    public String errorName(int status) {
        return "hipError" + status;
    }
}
