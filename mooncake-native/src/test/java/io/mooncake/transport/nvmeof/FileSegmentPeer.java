package io.mooncake.transport.nvmeof;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.metadata.MetadataConnection;
import io.mooncake.engine.metadata.MetadataStore;
import io.mooncake.engine.metadata.kv.SegmentDirectories;
import io.mooncake.engine.transport.contract.Pattern;
import io.mooncake.engine.transport.contract.Peer;
import io.mooncake.transport.nvmeof.NvmeofSegment.NvmeofFile;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The target of the transport contract for a file segment: not an engine but what an operator sets
 * up for NVMe-oF, a file (standing for the namespace as the initiator sees it) and its descriptor
 * under {@code mooncake/nvmeof/<name>}, written as {@code mooncake-nvmeof-register} writes it, with
 * a {@code local_path_map} entry for every node name the test's initiators use.
 *
 * <p>The "peer's side" of {@link #fill} and {@link #verify} is the file itself, read and written
 * here with plain positional (buffered) I/O, never through the transport under test. The published
 * buffer is the segment's only file, at segment offset 0. A file has no process:
 * {@link #kill()} removes the file and its descriptor (the namespace going away; descriptors the
 * initiator already holds open keep working, as they do on Linux), and {@link #stopAnswering()}
 * cannot be simulated.
 */
final class FileSegmentPeer implements Peer {

    private final String segment;
    private final String key;
    private final Path file;
    private final long length;
    private final String metadataUrl;
    private volatile boolean closed;

    private FileSegmentPeer(String segment, String key, Path file, long length, String metadataUrl) {
        this.segment = segment;
        this.key = key;
        this.file = file;
        this.length = length;
        this.metadataUrl = metadataUrl;
    }

    /**
     * Creates {@code file} of {@code length} bytes (sparse) and registers segment
     * {@code nvmeof/<name>} with it at {@code metadataUrl}, readable by {@code nodes} at {@code file}.
     */
    static FileSegmentPeer start(String metadataUrl, String name, Path file, long length, Collection<String> nodes) {
        try {
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                f.setLength(length);
            }
            Map<String, String> map = new LinkedHashMap<>();
            nodes.forEach(n -> map.put(n, file.toString()));
            NvmeofSegment s = new NvmeofSegment(NvmeofSegment.segmentName(name),
                    List.of(new NvmeofFile("/exported" + file, length, map)));
            String key = "mooncake/" + s.name();
            try (MetadataStore store = store(metadataUrl)) {
                store.put(key, s.encodeValue());
            }
            return new FileSegmentPeer(s.name(), key, file, length, metadataUrl);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the file segment's file " + file, e);
        }
    }

    private static MetadataStore store(String url) {
        return SegmentDirectories.openStore(MetadataConnection.parse(url),
                EngineConfig.builder().metadataServer(url).build(),
                SegmentDirectories.providers(FileSegmentPeer.class.getClassLoader()));
    }

    /** The file behind the segment. */
    Path file() {
        return file;
    }

    @Override
    public String segmentName() {
        return segment;
    }

    @Override
    public long bufferAddress() {
        return 0; // the first file starts the concatenation
    }

    @Override
    public long bufferLength() {
        return length;
    }

    @Override
    public void fill(long offset, long length, long seed) {
        checkOpen();
        ByteBuffer chunk = ByteBuffer.allocateDirect((int) Math.min(length, 1 << 20));
        try (FileChannel channel = open()) {
            for (long done = 0; done < length; ) {
                int n = (int) Math.min(chunk.capacity(), length - done);
                chunk.clear().limit(n);
                Pattern.fill(chunk, 0, n, seed, done);
                while (chunk.hasRemaining()) {
                    channel.write(chunk, offset + done + chunk.position());
                }
                done += n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("filling " + file, e);
        }
    }

    @Override
    public void verify(long offset, long length, long seed) {
        checkOpen();
        ByteBuffer chunk = ByteBuffer.allocateDirect((int) Math.min(length, 1 << 20));
        try (FileChannel channel = open()) {
            for (long done = 0; done < length; ) {
                int n = (int) Math.min(chunk.capacity(), length - done);
                chunk.clear().limit(n);
                while (chunk.hasRemaining()) {
                    if (channel.read(chunk, offset + done + chunk.position()) < 0) {
                        throw new AssertionError("file " + file + " ends before " + (offset + done + n));
                    }
                }
                String m = Pattern.mismatch(chunk, 0, n, seed, done);
                if (m != null) {
                    throw new AssertionError("file segment " + segment + " (" + file + ") [" + offset + ", "
                            + (offset + length) + ") does not hold the pattern of seed " + seed + " from byte "
                            + (offset + done) + ": " + m);
                }
                done += n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file, e);
        }
    }

    /** A channel per call: an interrupted caller (a test pool's shutdownNow) closes only its own. */
    private FileChannel open() throws IOException {
        return FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("file segment " + segment + " was removed");
        }
    }

    @Override
    public void kill() {
        close();
    }

    @Override
    public boolean stopAnswering() {
        return false;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try (MetadataStore store = store(metadataUrl)) {
            store.delete(key);
        } catch (RuntimeException e) {
            System.err.println("removing " + key + ": " + e); // the server may already be closed
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("removing " + file, e);
        }
    }

    @Override
    public String toString() {
        return "file segment " + segment + " on " + file;
    }
}
