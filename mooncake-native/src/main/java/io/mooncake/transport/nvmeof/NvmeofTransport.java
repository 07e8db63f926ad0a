package io.mooncake.transport.nvmeof;

import com.sun.nio.file.ExtendedOpenOption;
import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.batch.TransferTask;
import io.mooncake.engine.memory.NativeMemory;
import io.mooncake.engine.memory.Region;
import io.mooncake.engine.metadata.BufferDescriptor;
import io.mooncake.engine.metadata.RemoteTarget;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.stats.FailureKind;
import io.mooncake.engine.transport.Reach;
import io.mooncake.engine.transport.Transport;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.cufile.CuFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * The nvmeof transport: reads and writes between registered host memory and the files (or block
 * devices: the NVMe-oF namespaces as this initiator sees them) of a file segment, found through
 * the segment's {@code local_path_map} entry for this node. A request's target offset is an offset
 * into the concatenation of the files; slices crossing a file boundary are split.
 *
 * <p>I/O: direct I/O ({@code O_DIRECT}) where the file system supports it and the file's last block
 * can be read whole: whole blocks go straight between the caller's memory and the file when both
 * are equally misaligned, edge blocks (and ranges whose memory and file offsets are misaligned
 * differently) through an aligned bounce buffer per I/O thread, with read-modify-write of the edge
 * blocks of a write under a per-block lock; buffered I/O otherwise, with the reason logged once per
 * file (tmpfs has no {@code O_DIRECT}). Several slices are in flight on {@value #THREADS} I/O threads.
 * CUDA memory ({@code cuda:N} device regions) moves through GPUDirect Storage ({@link GdsIo}, cuFile)
 * where {@code libcufile} loads; otherwise, and for other device memory, requests are refused naming
 * what is missing.
 */
final class NvmeofTransport implements Transport {

    private static final Logger log = LoggerFactory.getLogger(NvmeofTransport.class);
    static final int THREADS = 4;
    private static final int BOUNCE = 4 << 20;
    private static final int SLICE = 4 << 20;

    private final TransportContext context;
    private final String node;
    private final ExecutorService io;
    private final ConcurrentHashMap<String, OpenFile> files = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Cached> segments = new ConcurrentHashMap<>();
    private final LongAdder direct = new LongAdder();
    private final LongAdder buffered = new LongAdder();
    private final GdsIo gds;
    private volatile boolean closed;

    private record Cached(SegmentDescriptor descriptor, NvmeofSegment segment) {
    }

    NvmeofTransport(TransportContext context, Loaded<CuFile> cufile) {
        this.context = context;
        this.gds = new GdsIo(cufile);
        this.node = context.localSegmentName();
        AtomicInteger n = new AtomicInteger();
        this.io = Executors.newFixedThreadPool(THREADS, r -> {
            Thread t = new Thread(r, "mooncake-nvmeof-io-" + n.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public String protocol() {
        return NvmeofSegment.PROTOCOL;
    }

    @Override
    public void start() {
    }

    @Override
    public SegmentDescriptor describe(SegmentDescriptor base) {
        return base; // file segments are written by an operator, never published by an engine
    }

    @Override
    public Reach reach(RemoteTarget target) {
        if (!NvmeofSegment.PROTOCOL.equals(target.descriptor().protocol())) {
            return Reach.none("not a file segment");
        }
        return Reach.of(Reach.STORAGE, "file segment: its files are read and written here through local_path_map['"
                + node + "']");
    }

    @Override
    public String unsupported(TransferTask task) {
        return gds.refusal(task.localRegion());
    }

    @Override
    public int sliceSize(RemoteTarget target) {
        return SLICE;
    }

    @Override
    public void submit(TransferTask task) {
        NvmeofSegment seg;
        try {
            seg = segment(task.target());
        } catch (MooncakeException e) {
            for (int k = task.sliceCount(); k > 0; k--) {
                task.sliceFailed(FailureKind.PEER_REJECTED, e.getMessage());
            }
            return;
        }
        for (int k = 0; k < task.sliceCount(); k++) {
            int slice = k;
            try {
                io.execute(() -> run(task, seg, slice));
            } catch (RejectedExecutionException e) {
                task.sliceFailed(FailureKind.LOCAL, "the nvmeof transport is closed");
            }
        }
    }

    private NvmeofSegment segment(RemoteTarget target) {
        Cached c = segments.get(target.segmentName());
        if (c != null && c.descriptor() == target.descriptor()) {
            return c.segment();
        }
        SegmentDescriptor d = target.descriptor();
        List<NvmeofSegment.NvmeofFile> list = new ArrayList<>();
        for (BufferDescriptor b : d.buffers()) {
            JsonNode path = b.extra().get("file_path");
            Map<String, String> map = new TreeMap<>();
            JsonNode m = b.extra().get("local_path_map");
            if (m != null) {
                m.properties().forEach(e -> map.put(e.getKey(), e.getValue().asString("")));
            }
            list.add(new NvmeofSegment.NvmeofFile(path == null ? "" : path.asString(""), b.length(), map));
        }
        NvmeofSegment s = new NvmeofSegment(d.name(), list);
        segments.put(target.segmentName(), new Cached(d, s));
        return s;
    }

    private void run(TransferTask task, NvmeofSegment seg, int k) {
        if (task.isDone()) {
            task.sliceFailed(FailureKind.CANCELED, "ended before it was read or written");
            return;
        }
        long off = task.sliceOffset(k);
        int len = task.sliceLength(k);
        boolean write = task.opCode() == OpCode.WRITE;
        Region region = task.localRegion();
        boolean cuda = GdsIo.isCuda(region);
        try {
            for (NvmeofSegment.Piece p : seg.locate(task.targetAddress() + off, len)) {
                OpenFile f = open(seg, p.file()); // checks the path and the size for both paths
                long mem = task.source() + off + p.requestOffset();
                if (cuda) {
                    gds.transfer(write, f.path, p.fileOffset(), region, mem, p.length());
                } else if (write) {
                    f.write(p.fileOffset(), mem, (int) p.length());
                } else {
                    f.read(p.fileOffset(), mem, (int) p.length());
                }
            }
        } catch (MooncakeException e) {
            task.sliceFailed(FailureKind.PEER_REJECTED, e.getMessage());
            return;
        } catch (IOException | RuntimeException e) {
            task.sliceFailed(FailureKind.LOCAL, (write ? "write to " : "read from ") + "nvmeof segment '"
                    + seg.name() + "' failed: " + e);
            return;
        }
        task.sliceCompleted(len);
    }

    private OpenFile open(NvmeofSegment seg, int index) throws IOException {
        String path = seg.localPath(index, node);
        OpenFile f = files.get(path);
        if (f != null) {
            return f;
        }
        synchronized (files) {
            f = files.get(path);
            if (f == null) {
                if (closed) {
                    throw new IOException("transport closed");
                }
                f = OpenFile.open(seg, index, Path.of(path));
                files.put(path, f);
                (f.direct ? direct : buffered).increment();
            }
            return f;
        }
    }

    @Override
    public void unregistered(Region region) {
        if (GdsIo.isCuda(region)) {
            gds.unregistered(region);
        }
    }

    @Override
    public Map<String, Object> stats() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("openFiles", files.size());
        m.put("directIoFiles", direct.sum());
        m.put("bufferedIoFiles", buffered.sum());
        m.put("gdsFiles", gds.registeredFiles());
        return m;
    }

    @Override
    public void close() {
        closed = true;
        io.shutdown();
        gds.close();
        synchronized (files) {
            for (OpenFile f : files.values()) {
                try {
                    f.channel.close();
                } catch (IOException e) {
                    log.debug("closing {}", f.path, e);
                }
            }
            files.clear();
        }
    }

    /** A file of a segment opened on this node: direct when it can be, else buffered. */
    static final class OpenFile {
        private static final ThreadLocal<ByteBuffer> BOUNCE_BUFFERS = new ThreadLocal<>();
        final Path path;
        final FileChannel channel;
        final boolean direct;
        final int block;
        /** Locks for read-modify-write of partial blocks (direct I/O only). */
        private final Object[] stripes = new Object[64];

        private OpenFile(Path path, FileChannel channel, boolean direct, int block) {
            this.path = path;
            this.channel = channel;
            this.direct = direct;
            this.block = block;
            for (int i = 0; i < stripes.length; i++) {
                stripes[i] = new Object();
            }
        }

        static OpenFile open(NvmeofSegment seg, int index, Path path) throws IOException {
            NvmeofSegment.NvmeofFile file = seg.files().get(index);
            String what = "file " + path + " of nvmeof segment '" + seg.name() + "' (" + file.filePath() + ", "
                    + file.length() + " bytes)";
            if (!Files.exists(path)) {
                throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, what + " does not exist on "
                        + "this node; connect the NVMe-oF namespace (nvme connect) or fix local_path_map "
                        + "(mooncake-nvmeof-register)");
            }
            long size;
            try (FileChannel probe = FileChannel.open(path, StandardOpenOption.READ)) {
                size = probe.size(); // a block device's size too (the JDK asks the device)
            }
            if (size < file.length()) {
                throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, what + " is " + size
                        + " bytes on this node, shorter than the descriptor says; fix the descriptor "
                        + "(mooncake-nvmeof-register) or the " + (Files.isRegularFile(path) ? "file" : "device"));
            }
            int block = 4096;
            try {
                block = (int) Math.max(512, Files.getFileStore(path).getBlockSize());
            } catch (IOException | UnsupportedOperationException e) {
                log.debug("block size of {} unknown, using 4096", path, e);
            }
            String why = null;
            if ((file.length() + block - 1) / block * block > size) { // the last block must be readable whole
                why = "its length " + file.length() + " is not a multiple of the block size " + block
                        + " and it ends there (" + size + " bytes)";
            } else {
                try {
                    FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
                            ExtendedOpenOption.DIRECT);
                    log.info("nvmeof: {} opened for direct I/O (block {} bytes)", path, block);
                    return new OpenFile(path, ch, true, block);
                } catch (AccessDeniedException | NoSuchFileException e) {
                    throw e;
                } catch (IOException | UnsupportedOperationException e) {
                    why = "the file system does not support O_DIRECT (" + e.getMessage() + ")";
                }
            }
            FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            log.info("nvmeof: buffered I/O for {}: {}", path, why);
            return new OpenFile(path, ch, false, block);
        }

        void read(long pos, long mem, int n) throws IOException {
            if (!direct) {
                readFully(NativeMemory.view(mem, n), pos, n);
                return;
            }
            int head = straightHead(pos, mem, n);
            if (head >= 0) { // the whole blocks straight into the caller's memory, the edges through the bounce buffer
                int whole = (int) ((pos + n) / block * block - (pos + head));
                if (head > 0) {
                    bounceRead(pos, mem, head);
                }
                readFully(NativeMemory.view(mem + head, whole), pos + head, whole);
                if (head + whole < n) {
                    bounceRead(pos + head + whole, mem + head + whole, n - head - whole);
                }
                return;
            }
            bounceRead(pos, mem, n);
        }

        /**
         * Where direct I/O can go straight between the file and the caller's memory: when the memory
         * and the file position are equally misaligned, the bytes from the first block boundary on are
         * aligned on both sides. Returns the bytes before that boundary, or -1 when there are no whole
         * blocks to move that way.
         */
        private int straightHead(long pos, long mem, int n) {
            if (Math.floorMod(mem - pos, (long) block) != 0) {
                return -1;
            }
            long start = (pos + block - 1) / block * block;
            long end = (pos + n) / block * block;
            return end > start ? (int) (start - pos) : -1;
        }

        private void bounceRead(long pos, long mem, int n) throws IOException {
            ByteBuffer b = bounce();
            long done = 0;
            while (done < n) {
                long at = pos + done;
                long a0 = at / block * block;
                int chunk = (int) Math.min(n - done, b.capacity() - (at - a0));
                int span = roundUp((int) (at - a0) + chunk);
                b.clear().limit(span);
                readFully(b, a0, span);
                NativeMemory.copy(NativeMemory.addressOf(b) + (at - a0), mem + done, chunk);
                done += chunk;
            }
        }

        void write(long pos, long mem, int n) throws IOException {
            if (!direct) {
                writeFully(NativeMemory.view(mem, n), pos);
                return;
            }
            int head = straightHead(pos, mem, n);
            if (head >= 0) { // as read: whole blocks straight from the caller's memory, edges through the bounce buffer
                int whole = (int) ((pos + n) / block * block - (pos + head));
                if (head > 0) {
                    bounceWrite(pos, mem, head);
                }
                writeFully(NativeMemory.view(mem + head, whole), pos + head);
                if (head + whole < n) {
                    bounceWrite(pos + head + whole, mem + head + whole, n - head - whole);
                }
                return;
            }
            bounceWrite(pos, mem, n);
        }

        private void writeFully(ByteBuffer v, long pos) throws IOException {
            int start = v.position();
            while (v.hasRemaining()) {
                channel.write(v, pos + v.position() - start);
            }
        }

        private void bounceWrite(long pos, long mem, int n) throws IOException {
            ByteBuffer b = bounce();
            long done = 0;
            while (done < n) {
                long at = pos + done;
                long a0 = at / block * block;
                int head = (int) (at - a0);
                int chunk = (int) Math.min(n - done, b.capacity() - head);
                int span = roundUp(head + chunk);
                boolean partialHead = head != 0;
                boolean partialTail = (head + chunk) % block != 0;
                if (!partialHead && !partialTail) {
                    writeSpan(b, mem + done, a0, head, chunk, span, false, false);
                } else {
                    // Read-modify-write of an edge block: a slice of another request may be writing other
                    // bytes of the same block at the same moment, so edge blocks are rewritten under a lock
                    // (striped by block number, taken in stripe order).
                    int first = stripe(a0 / block);
                    int last = stripe((a0 + span) / block - 1);
                    synchronized (stripes[Math.min(first, last)]) {
                        synchronized (stripes[Math.max(first, last)]) {
                            writeSpan(b, mem + done, a0, head, chunk, span, partialHead, partialTail);
                        }
                    }
                }
                done += chunk;
            }
        }

        private int stripe(long blockIndex) {
            return (int) Math.floorMod(blockIndex, (long) stripes.length);
        }

        /** Writes {@code chunk} bytes from {@code mem} at {@code a0 + head} through the bounce buffer {@code b}. */
        private void writeSpan(ByteBuffer b, long mem, long a0, int head, int chunk, int span, boolean partialHead,
                boolean partialTail) throws IOException {
            long base = NativeMemory.addressOf(b);
            if (partialHead) { // keep the bytes of the first block before the range
                b.clear().limit(block);
                readFully(b, a0, block);
            }
            if (partialTail && (span > block || !partialHead)) { // and of the last block after it
                ByteBuffer tail = b.duplicate();
                tail.clear().position(span - block).limit(span);
                readFully(tail, a0 + span - block, block);
            }
            NativeMemory.copy(mem, base + head, chunk);
            b.clear().limit(span);
            writeFully(b, a0);
        }

        private void readFully(ByteBuffer b, long pos, int n) throws IOException {
            int start = b.position();
            while (b.position() - start < n) {
                int r = channel.read(b, pos + (b.position() - start));
                if (r < 0) {
                    throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "file " + path
                            + " ended at " + (pos + b.position() - start) + " bytes, inside the range the descriptor "
                            + "lists; it is shorter than the descriptor says");
                }
            }
        }

        private int roundUp(int n) {
            return (n + block - 1) / block * block;
        }

        private ByteBuffer bounce() {
            ByteBuffer b = BOUNCE_BUFFERS.get();
            if (b == null || b.capacity() < BOUNCE || NativeMemory.addressOf(b) % block != 0) {
                // aligned at both ends to 64 KiB, so its capacity is a multiple of any block size up to that
                b = ByteBuffer.allocateDirect(BOUNCE + 65536).alignedSlice(65536);
                BOUNCE_BUFFERS.set(b);
            }
            return b;
        }
    }
}
