package io.mooncake.engine.memory;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

/**
 * A named shared mapping: a file in {@code /dev/shm} created owner-only by one process and mapped
 * read-write by it and by same-host peers. (Interim JDK 17 implementation; limited to mappings
 * under 2 GiB.) Not thread-safe for {@link #close} against concurrent copies: callers hold it.
 */
public final class SharedMapping implements AutoCloseable {

    private static final Pattern NAME = Pattern.compile("mooncake-[0-9]{1,10}-[0-9a-f]{16}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path path;
    private final String name;
    private final long length;
    private final MappedByteBuffer buffer;
    private final long address;
    private final boolean owner;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SharedMapping(Path path, long length, MappedByteBuffer buffer, boolean owner) {
        this.path = path;
        this.name = path.getFileName().toString();
        this.length = length;
        this.buffer = buffer;
        this.address = NativeMemory.addressOf(buffer);
        this.owner = owner;
    }

    /** /dev/shm, or the temporary directory where /dev/shm is absent. */
    public static Path defaultDirectory() {
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
    }

    /** Creates, preallocates and maps a new owner-only file of {@code length} zeroed bytes in {@code dir}. */
    public static SharedMapping create(Path dir, long length) {
        if (length <= 0 || length > Integer.MAX_VALUE) {
            throw new MooncakeException(ErrorCode.MEMORY, "cannot map " + length + " bytes of shared memory in "
                    + dir + ": this JVM maps at most " + Integer.MAX_VALUE + " bytes at once");
        }
        byte[] rnd = new byte[8];
        RANDOM.nextBytes(rnd);
        Path path = dir.resolve("mooncake-" + ProcessHandle.current().pid() + "-" + HexFormat.of().formatHex(rnd));
        try {
            Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (IOException e) {
            throw new MooncakeException(ErrorCode.MEMORY, "cannot create shared memory file " + path + ": " + e
                    + "; check that " + dir + " exists and is writable", e);
        }
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
            long pos = 0;
            while (pos < length) {
                zeros.clear().limit((int) Math.min(zeros.capacity(), length - pos));
                pos += ch.write(zeros, pos);
            }
            MappedByteBuffer b = ch.map(FileChannel.MapMode.READ_WRITE, 0, length);
            return new SharedMapping(path, length, b, true);
        } catch (IOException e) {
            deleteQuietly(path);
            long free = -1;
            try {
                free = Files.getFileStore(dir).getUsableSpace();
            } catch (IOException ignored) {
                // unknown
            }
            throw new MooncakeException(ErrorCode.MEMORY, "cannot allocate " + length + " bytes of shared memory in "
                    + dir + " (" + (free < 0 ? "free space unknown" : free + " bytes free") + "): " + e
                    + "; enlarge it (docker --shm-size, a Kubernetes emptyDir with medium: Memory) or lower the size",
                    e);
        }
    }

    /** Maps a file another process created in {@code dir}. */
    public static SharedMapping open(Path dir, String name, long expectedLength) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "'" + name
                    + "' is not a shared memory name this engine creates (mooncake-<pid>-<16 hex>)");
        }
        Path path = dir.resolve(name);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = ch.size();
            if (size < expectedLength) {
                throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "shared memory file " + path + " holds " + size
                        + " bytes, fewer than the " + expectedLength + " its owner published");
            }
            if (size > Integer.MAX_VALUE) {
                throw new MooncakeException(ErrorCode.MEMORY, "cannot map " + size + " bytes of " + path
                        + ": this JVM maps at most " + Integer.MAX_VALUE + " bytes at once");
            }
            return new SharedMapping(path, size, ch.map(FileChannel.MapMode.READ_WRITE, 0, size), false);
        } catch (NoSuchFileException e) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "shared memory file " + path
                    + " does not exist here (the peer runs in another container or mount namespace, or freed it)", e);
        } catch (AccessDeniedException e) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "shared memory file " + path
                    + " is not ours to open (it is owner-only: the peer runs as another user)", e);
        } catch (IOException e) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "cannot map shared memory file " + path + ": " + e,
                    e);
        }
    }

    /** Deletes this user's files of processes that no longer run; returns how many. */
    public static int sweepStale(Path dir) {
        int n = 0;
        try (var files = Files.newDirectoryStream(dir, "mooncake-*")) {
            for (Path p : files) {
                String f = p.getFileName().toString();
                if (!NAME.matcher(f).matches()) {
                    continue;
                }
                long pid = Long.parseLong(f.substring(9, f.indexOf('-', 9)));
                if (ProcessHandle.of(pid).isEmpty() && Files.isWritable(p)) {
                    deleteQuietly(p);
                    n++;
                }
            }
        } catch (IOException | RuntimeException e) {
            return n;
        }
        return n;
    }

    public String name() {
        return name;
    }

    public Path path() {
        return path;
    }

    public long address() {
        return address;
    }

    public long length() {
        return length;
    }

    /** Unmaps, and for the creator deletes the file. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (owner) {
            deleteQuietly(path);
        }
        unmap(buffer);
    }

    private static void unmap(MappedByteBuffer b) {
        try {
            Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
            java.lang.reflect.Field f = unsafeClass.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            Method clean = unsafeClass.getMethod("invokeCleaner", ByteBuffer.class);
            clean.invoke(f.get(null), b);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // left to the garbage collector
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    @Override
    public String toString() {
        return "shared memory " + path + " (" + length + " bytes)";
    }
}
