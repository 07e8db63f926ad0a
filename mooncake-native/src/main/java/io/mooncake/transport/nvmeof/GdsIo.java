package io.mooncake.transport.nvmeof;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.memory.MemoryKind;
import io.mooncake.engine.memory.Region;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.cufile.CuFile;
import io.mooncake.jna.cufile.CuFileException;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GPUDirect Storage for the nvmeof transport: reads and writes between the files of a segment and
 * CUDA memory ({@link MemoryKind#DEVICE} regions whose location is {@code cuda:N}) through cuFile.
 * The driver is opened on first use, each file is registered once per path, each CUDA region once
 * (its whole extent, on first use; deregistered when the region is). Other device memory
 * ({@code hip:N}, {@code npu:N}...) is refused: cuFile moves CUDA memory only. Thread-safe.
 */
final class GdsIo implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(GdsIo.class);

    private final Loaded<CuFile> cufile;
    private final ConcurrentHashMap<String, CuFile.FileHandle> files = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Region, Boolean> buffers = new ConcurrentHashMap<>();
    private volatile boolean opened;
    private volatile boolean closed;

    GdsIo(Loaded<CuFile> cufile) {
        this.cufile = cufile;
    }

    /** Whether {@code region} is memory this path moves (CUDA device memory). */
    static boolean isCuda(Region region) {
        return region != null && region.kind() == MemoryKind.DEVICE && region.location().startsWith("cuda:");
    }

    /**
     * Why a request from or to {@code region} cannot be moved here, or {@code null} when it can:
     * names the memory, what is missing and the fix.
     */
    String refusal(Region region) {
        if (region == null || region.kind().isHostAccessible()) {
            return null;
        }
        if (!isCuda(region)) {
            return "the local buffer is device memory (" + region.location() + "); nvmeof moves device memory only "
                    + "through GPUDirect Storage, which covers CUDA memory (cuda:N): use host memory";
        }
        if (!cufile.isLoaded()) {
            return "the local buffer is CUDA memory (" + region.location() + ") and GPUDirect Storage needs "
                    + "libcufile, which is missing here (" + cufile.name() + ": " + cufile.failure() + "); install "
                    + "NVIDIA GDS (the CUDA toolkit's libcufile, plus nvidia-fs or compatibility mode) or use host memory";
        }
        return null;
    }

    /** Moves {@code length} bytes between file {@code path} at {@code fileOffset} and CUDA memory {@code mem}. */
    void transfer(boolean write, Path path, long fileOffset, Region region, long mem, long length) {
        CuFile lib = library();
        if (buffers.putIfAbsent(region, Boolean.TRUE) == null) {
            try {
                lib.registerBuffer(region.address(), region.length());
                log.info("nvmeof: registered {} with GPUDirect Storage", region);
            } catch (RuntimeException e) {
                buffers.remove(region);
                throw e;
            }
        }
        CuFile.FileHandle f = files.computeIfAbsent(path.toString(), p -> {
            if (closed) {
                throw new IllegalStateException("the nvmeof transport is closed");
            }
            CuFile.FileHandle h = lib.register(path);
            log.info("nvmeof: {} registered with GPUDirect Storage", path);
            return h;
        });
        long base = region.address();
        long done = 0;
        while (done < length) {
            long n = write ? f.write(base, length - done, fileOffset + done, mem - base + done)
                    : f.read(base, length - done, fileOffset + done, mem - base + done);
            if (n == 0) {
                throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "file " + path + " ended at "
                        + (fileOffset + done) + " bytes, inside the range the descriptor lists; it is shorter than "
                        + "the descriptor says");
            }
            done += n;
        }
    }

    private CuFile library() {
        if (!cufile.isLoaded()) {
            throw new CuFileException("GPUDirect Storage needs libcufile: " + cufile.failure(), 0);
        }
        CuFile lib = cufile.library();
        if (!opened) {
            lib.open();
            opened = true;
        }
        return lib;
    }

    /** Deregisters {@code region} if it was registered. */
    void unregistered(Region region) {
        if (buffers.remove(region) != null) {
            cufile.library().deregisterBuffer(region.address());
        }
    }

    /** Whether any file or buffer is registered (for stats). */
    int registeredFiles() {
        return files.size();
    }

    @Override
    public void close() {
        closed = true;
        files.values().forEach(CuFile.FileHandle::close);
        files.clear();
        if (cufile.isLoaded()) {
            buffers.keySet().forEach(r -> cufile.library().deregisterBuffer(r.address()));
        }
        buffers.clear();
    }
}
