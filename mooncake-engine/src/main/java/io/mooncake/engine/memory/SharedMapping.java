package io.mooncake.engine.memory;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A file in a shared-memory directory ({@code /dev/shm}), mapped read-write and {@code MAP_SHARED},
 * so that another process on the host maps the same pages: one process {@link #create creates} and
 * publishes {@link #name()}, the other {@link #open opens} it by name.
 *
 * <p>Safety:
 * <ul>
 * <li>Created files are owner-only (0600), named {@code mooncake-<pid>-<16 random hex digits>}
 * ({@code CREATE_NEW}, so an existing file is never reused) and preallocated by writing every page,
 * so a full tmpfs fails in {@link #create} with a {@link MooncakeException} ({@link ErrorCode#MEMORY})
 * saying how to make room, never later as a {@code SIGBUS} on first touch.</li>
 * <li>{@link #open} accepts only names of that exact form (no path separators), in the given
 * directory, refuses symbolic links and anything but a regular file owned by this process's user,
 * and checks the file is at least as long as the peer said: a peer's descriptor can never make this
 * process map an arbitrary file.</li>
 * <li>While a created mapping is open its process holds an exclusive lock on the file, so
 * {@link #sweepStale} removes only files whose creator is gone, even when that creator ran in
 * another PID namespace (two containers of a pod share {@code /dev/shm} but not process ids).</li>
 * </ul>
 *
 * <p>On JDK 17 to 21 a mapping is a {@code MappedByteBuffer} (at most {@value Integer#MAX_VALUE}
 * bytes) unmapped through its cleaner; on JDK 22+ a segment of {@code FileChannel.map(..., Arena)} in
 * a shared arena, unmapped by closing the arena (no size limit). Either way {@link #close} unmaps at
 * once, not at garbage collection. Pure Java: no JNA, no JNI.
 */
public final class SharedMapping implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SharedMapping.class);

    /** Every mapping's file name starts with this. */
    public static final String PREFIX = "mooncake-";
    private static final Pattern NAME = Pattern.compile("mooncake-([1-9][0-9]{0,18})-([0-9a-f]{16})");
    private static final int CHUNK = 1 << 20;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(CHUNK);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String MAKE_ROOM = "give the shared-memory filesystem more room (docker run --shm-size=<size>; "
            + "Kubernetes: an emptyDir volume with medium: Memory and a sizeLimit, mounted at /dev/shm), "
            + "register less shared memory, or use another tmpfs directory";
    /** Channels of the mappings this process created and still holds, by path: see {@link #open}. */
    private static final Map<Path, FileChannel> OWN = new ConcurrentHashMap<>();

    private final String name;
    private final Path path;
    private final long address;
    private final long length;
    private final FileChannel lockHolder; // created mappings only: holds the liveness lock
    private final AutoCloseable unmapper;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SharedMapping(String name, Path path, long address, long length, FileChannel lockHolder,
            AutoCloseable unmapper) {
        this.name = name;
        this.path = path;
        this.address = address;
        this.length = length;
        this.lockHolder = lockHolder;
        this.unmapper = unmapper;
    }

    /**
     * Creates a new owner-only (0600) file in {@code dir} (default {@link #defaultDirectory()}), named
     * {@code mooncake-<pid>-<random hex>}, sized to {@code length} and preallocated (every page
     * written), mapped read-write {@code MAP_SHARED}, zero-filled.
     *
     * @throws MooncakeException {@link ErrorCode#INVALID_ARGUMENT} for a length below 1;
     *     {@link ErrorCode#MEMORY} when the directory is missing or not writable, lacks the space
     *     (naming the directory, its free space, the size and the fix), or the JDK cannot map the size
     */
    public static SharedMapping create(Path dir, long length) {
        Path directory = dir == null ? defaultDirectory() : dir;
        if (length <= 0) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT,
                    "cannot create a shared-memory mapping of " + length + " bytes; the length must be > 0");
        }
        if (!Files.isDirectory(directory)) {
            throw new MooncakeException(ErrorCode.MEMORY, "shared-memory directory " + directory
                    + " does not exist or is not a directory; create it or use another one (default "
                    + defaultDirectory() + ")");
        }
        String name = PREFIX + ProcessHandle.current().pid() + "-" + HexFormat.of().toHexDigits(RANDOM.nextLong());
        Path path = directory.resolve(name);
        FileChannel channel;
        try {
            channel = FileChannel.open(path,
                    EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (AccessDeniedException e) {
            throw new MooncakeException(ErrorCode.MEMORY, "cannot create shared-memory file " + path
                    + ": permission denied; make " + directory + " writable for this user or use another directory", e);
        } catch (IOException | UnsupportedOperationException e) {
            throw new MooncakeException(ErrorCode.MEMORY, "cannot create shared-memory file " + path + ": " + e
                    + "; use a writable tmpfs directory such as /dev/shm", e);
        }
        try {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                throw new IOException("could not lock the new file");
            }
            long usable = usableSpace(directory);
            if (usable >= 0 && length > usable) {
                throw noRoom(directory, length, "not enough free space", null);
            }
            if (length > NativeMemory.maxMappingLength()) {
                throw new MooncakeException(ErrorCode.MEMORY, "cannot map " + size(length) + " of shared memory on JDK "
                        + Runtime.version().feature() + ": FileChannel.map is limited to " + size(Integer.MAX_VALUE)
                        + " per mapping before JDK 22; register smaller buffers or run on JDK 22 or later, which lifts "
                        + "the limit");
            }
            preallocate(channel, path, directory, length);
            NativeMemory.Mapping m = NativeMemory.map(channel, length);
            SharedMapping s = new SharedMapping(name, path, m.address(), length, channel, m.unmapper());
            OWN.put(path, channel);
            log.debug("Created {}", s);
            return s;
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            deleteQuietly(path);
            if (e instanceof MooncakeException me) {
                throw me;
            }
            throw new MooncakeException(ErrorCode.MEMORY, "cannot map shared-memory file " + path + " ("
                    + size(length) + "): " + e, e);
        }
    }

    /** Writes zeros over the whole file, so tmpfs allocates every page now (and fails now if it cannot). */
    private static void preallocate(FileChannel channel, Path path, Path dir, long length) {
        long position = 0;
        try {
            while (position < length) {
                ByteBuffer zeros = ZEROS.duplicate();
                zeros.limit((int) Math.min(CHUNK, length - position));
                while (zeros.hasRemaining()) {
                    position += channel.write(zeros, position);
                }
            }
        } catch (IOException e) {
            throw noRoom(dir, length, "preallocating " + path + " failed at byte " + position + ": " + reason(e), e);
        }
    }

    private static MooncakeException noRoom(Path dir, long length, String what, Throwable cause) {
        return new MooncakeException(ErrorCode.MEMORY, "cannot create a shared-memory mapping of " + size(length)
                + " in " + dir + " (" + describeStore(dir) + "): " + what + "; " + MAKE_ROOM, cause);
    }

    /**
     * Maps a file another process {@link #create created} (read-write, shared).
     *
     * @param dir the directory both processes use ({@code null}: {@link #defaultDirectory()})
     * @param name the file name the creator published
     * @param expectedLength the length the creator published; the mapping covers exactly this much
     * @throws MooncakeException {@link ErrorCode#INVALID_ARGUMENT} when the name is not of the form
     *     {@code mooncake-<pid>-<16 hex digits>} or the length is below 1; {@link ErrorCode#MEMORY},
     *     naming the path and the reason, when the file is missing, not permitted, not a regular file
     *     of this user, or shorter than {@code expectedLength}
     */
    public static SharedMapping open(Path dir, String name, long expectedLength) {
        Path directory = dir == null ? defaultDirectory() : dir;
        if (name == null || !NAME.matcher(name).matches()) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "invalid shared-memory name '" + name
                    + "': expected " + PREFIX + "<pid>-<16 lowercase hex digits> (no path separators); "
                    + "the peer's descriptor is malformed or not from this engine");
        }
        if (expectedLength <= 0) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "invalid length " + expectedLength
                    + " for shared-memory file " + name + "; it must be > 0");
        }
        Path path = directory.resolve(name);
        if (expectedLength > NativeMemory.maxMappingLength()) {
            throw new MooncakeException(ErrorCode.MEMORY, "cannot map " + path + " (" + size(expectedLength)
                    + ") on JDK " + Runtime.version().feature() + ": FileChannel.map is limited to "
                    + size(Integer.MAX_VALUE) + " per mapping before JDK 22; run on JDK 22 or later, which lifts the limit");
        }
        FileChannel own = OWN.get(path);
        if (own != null) {
            // Mapped through the creator's own channel: opening and closing a second descriptor of the
            // file would drop this process's lock on it (POSIX locks are per process, released when any
            // descriptor of the file closes), and sweepers would take the file for abandoned.
            return map(name, path, own, expectedLength, false);
        }
        checkFile(path);
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw missing(path, e);
        } catch (AccessDeniedException e) {
            throw new MooncakeException(ErrorCode.MEMORY, "cannot open shared-memory file " + path
                    + ": permission denied (it is owner-only); run both engines as the same user", e);
        } catch (IOException e) {
            throw new MooncakeException(ErrorCode.MEMORY, "cannot open shared-memory file " + path + ": "
                    + reason(e), e);
        }
        try {
            return map(name, path, channel, expectedLength, true);
        } finally {
            closeQuietly(channel); // the mapping outlives the descriptor
        }
    }

    private static SharedMapping map(String name, Path path, FileChannel channel, long expectedLength,
            boolean opened) {
        try {
            long size = channel.size();
            if (size < expectedLength) {
                throw new MooncakeException(ErrorCode.MEMORY, "shared-memory file " + path + " is " + size(size)
                        + ", shorter than the " + size(expectedLength) + " its creator published; the peer's "
                        + "descriptor is stale or the file was truncated: re-read the peer's metadata");
            }
            NativeMemory.Mapping m = NativeMemory.map(channel, expectedLength);
            SharedMapping s = new SharedMapping(name, path, m.address(), expectedLength, null, m.unmapper());
            log.debug("Opened {}{}", s, opened ? "" : " (created by this process)");
            return s;
        } catch (IOException e) {
            throw new MooncakeException(ErrorCode.MEMORY, "cannot map shared-memory file " + path + ": " + reason(e), e);
        }
    }

    /** A regular file (not a link) owned by this process's user, or a clear refusal. */
    private static void checkFile(Path path) {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw missing(path, e);
        } catch (IOException e) {
            throw new MooncakeException(ErrorCode.MEMORY, "cannot read shared-memory file " + path + ": " + reason(e), e);
        }
        if (!attrs.isRegularFile()) {
            throw new MooncakeException(ErrorCode.MEMORY, "refusing to map " + path + ": it is "
                    + (attrs.isSymbolicLink() ? "a symbolic link" : attrs.isDirectory() ? "a directory" : "not a regular file")
                    + ", not a file created by a mooncake engine");
        }
        Optional<Integer> owner = uid(path);
        Optional<Integer> self = Uid.SELF;
        if (owner.isPresent() && self.isPresent() && !owner.get().equals(self.get())) {
            throw new MooncakeException(ErrorCode.MEMORY, "refusing to map " + path + ": it belongs to uid "
                    + owner.get() + ", not to this process's uid " + self.get() + "; run both engines as the same user");
        }
    }

    private static MooncakeException missing(Path path, Exception e) {
        return new MooncakeException(ErrorCode.MEMORY, "shared-memory file " + path + " does not exist: its "
                + "creator unregistered the memory or exited, or runs on another host or in a container that does "
                + "not share this " + path.getParent() + " (mount the same /dev/shm in both, or use tcp)", e);
    }

    /** The file name (what the creator publishes). */
    public String name() {
        return name;
    }

    public Path path() {
        return path;
    }

    /** First byte of the mapping in this process. */
    public long address() {
        return address;
    }

    public long length() {
        return length;
    }

    /** Whether this process created the file (and {@link #close} deletes it). */
    public boolean created() {
        return lockHolder != null;
    }

    /**
     * Unmaps now (and for created mappings deletes the file and releases its lock). The caller
     * guarantees no copy to or from the mapping is in flight: touching it afterwards crashes the
     * process. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            unmapper.close();
        } catch (Exception e) {
            log.warn("Unmapping {} failed: {}", this, e.toString());
        }
        if (lockHolder != null) {
            OWN.remove(path, lockHolder);
            deleteQuietly(path); // before the lock goes, so a sweeper never sees it unlocked
            closeQuietly(lockHolder);
        }
        log.debug("Closed {}", this);
    }

    /**
     * Deletes this user's {@code mooncake-<pid>-*} files in {@code dir} whose creating process is
     * gone: its pid is not alive here and no process holds the file's lock (which covers creators in
     * another PID namespace). Files of this process are never touched.
     *
     * @return how many files were deleted
     */
    public static int sweepStale(Path dir) {
        Path directory = dir == null ? defaultDirectory() : dir;
        if (!Files.isDirectory(directory)) {
            return 0;
        }
        long self = ProcessHandle.current().pid();
        int deleted = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, PREFIX + "*")) {
            for (Path file : files) {
                Matcher m = NAME.matcher(file.getFileName().toString());
                if (!m.matches()) {
                    continue;
                }
                long pid;
                try {
                    pid = Long.parseLong(m.group(1));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (pid == self || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    continue;
                }
                if (deleteIfAbandoned(file)) {
                    deleted++;
                }
            }
        } catch (IOException e) {
            log.warn("Could not sweep stale shared-memory files in {}: {}", directory, e.toString());
        }
        if (deleted > 0) {
            log.info("Deleted {} shared-memory file(s) of exited processes from {}", deleted, directory);
        }
        return deleted;
    }

    private static boolean deleteIfAbandoned(Path file) {
        try {
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            Optional<Integer> owner = uid(file);
            if (!attrs.isRegularFile() || owner.isEmpty() || !owner.equals(Uid.SELF)) {
                return false;
            }
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
                    FileLock lock = ch.tryLock()) {
                if (lock == null) {
                    return false; // its creator is alive, in a process we cannot see
                }
                Files.delete(file);
                log.debug("Deleted stale {}", file);
                return true;
            } catch (OverlappingFileLockException e) {
                return false; // this JVM holds it
            }
        } catch (IOException e) {
            log.debug("Not sweeping {}: {}", file, e.toString());
            return false;
        }
    }

    /** {@code /dev/shm}, or {@code java.io.tmpdir} where there is no {@code /dev/shm}. */
    public static Path defaultDirectory() {
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
    }

    @Override
    public String toString() {
        return "SharedMapping[" + path + ", " + length + " bytes at 0x" + Long.toHexString(address)
                + (created() ? ", created" : ", opened") + (closed.get() ? ", closed" : "") + "]";
    }

    // ---- helpers

    /** This process's effective uid, read from a file it creates (empty where there is no unix view). */
    private static final class Uid {
        static final Optional<Integer> SELF = probe();

        private static Optional<Integer> probe() {
            Path probe = null;
            try {
                probe = Files.createTempFile("mooncake-uid", ".tmp");
                return uid(probe);
            } catch (IOException e) {
                return Optional.empty();
            } finally {
                if (probe != null) {
                    deleteQuietly(probe);
                }
            }
        }
    }

    private static Optional<Integer> uid(Path file) {
        try {
            return Optional.of((Integer) Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static long usableSpace(Path dir) {
        try {
            return Files.getFileStore(dir).getUsableSpace();
        } catch (IOException e) {
            return -1;
        }
    }

    private static String describeStore(Path dir) {
        try {
            FileStore store = Files.getFileStore(dir);
            return store.type() + ", " + size(store.getUsableSpace()) + " free of " + size(store.getTotalSpace());
        } catch (IOException e) {
            return "free space unknown";
        }
    }

    private static String reason(IOException e) {
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return fs.getReason();
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " bytes";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return bytes + " bytes (" + String.format(java.util.Locale.ROOT, "%.1f", v) + " " + units[u] + ")";
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // best effort
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            log.warn("Could not delete {}: {}", p, e.toString());
        }
    }
}
