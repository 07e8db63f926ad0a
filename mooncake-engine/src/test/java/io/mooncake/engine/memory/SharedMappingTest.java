package io.mooncake.engine.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.testsupport.ChildProcess;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shared mappings on the real {@code /dev/shm} (or a temporary directory) with a second JVM as the
 * peer: bytes written by each process are read by the other, in both roles.
 */
class SharedMappingTest {

    static final long LENGTH = 1 << 20;

    @TempDir
    Path tmp;

    @Test
    void createdMappingIsOwnerOnlyZeroFilledAndNamedForItsProcess() throws IOException {
        try (SharedMapping m = SharedMapping.create(null, LENGTH)) {
            assertThat(m.path().getParent()).isEqualTo(SharedMapping.defaultDirectory());
            assertThat(m.name()).matches("mooncake-" + ProcessHandle.current().pid() + "-[0-9a-f]{16}");
            assertThat(m.length()).isEqualTo(LENGTH);
            assertThat(m.created()).isTrue();
            assertThat(Files.getPosixFilePermissions(m.path()))
                    .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
            assertThat(Files.size(m.path())).isEqualTo(LENGTH);
            for (long i = 0; i < LENGTH; i++) {
                if (NativeMemory.getByte(m.address() + i) != 0) {
                    throw new AssertionError("byte " + i + " of a new mapping is not zero");
                }
            }
        }
    }

    @Test
    void childOpensOurMappingReadsOurBytesAndWritesItsOwn() throws IOException {
        try (SharedMapping m = SharedMapping.create(null, LENGTH)) {
            SharedMappingPeer.write(m.address(), 0, LENGTH / 2, 1);
            try (ChildProcess child = ChildProcess.start(SharedMappingPeer.class, "open", m.path().getParent().toString(),
                    m.name(), Long.toString(LENGTH))) {
                assertThat(child.field(0)).as("what the child read in our half").isEqualTo("ok");
                assertThat(child.field(1)).as("whether the child thinks it created the mapping").isEqualTo("false");
                assertThat(SharedMappingPeer.check(m.address(), LENGTH / 2, LENGTH - 64, 2))
                        .as("first byte of the child's half that we do not see").isEqualTo(-1);
            }
            assertThat(m.path()).as("a peer's close leaves the creator's file").exists();
        }
    }

    @Test
    void weOpenTheChildsMappingReadItsBytesAndItReadsOurs() throws IOException {
        Path dir = SharedMapping.defaultDirectory();
        try (ChildProcess child = ChildProcess.start(SharedMappingPeer.class, "create", dir.toString(),
                Long.toString(LENGTH))) {
            String name = child.field(0);
            assertThat(name).isEqualTo("mooncake-" + child.field(1) + "-" + name.substring(name.lastIndexOf('-') + 1));
            try (SharedMapping m = SharedMapping.open(dir, name, LENGTH)) {
                assertThat(m.created()).isFalse();
                assertThat(SharedMappingPeer.check(m.address(), 0, LENGTH / 2, 3)).isEqualTo(-1);
                SharedMappingPeer.write(m.address(), LENGTH / 2, LENGTH - 64, 4);
                NativeMemory.putByte(m.address() + LENGTH - 64, (byte) 1);
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5))
                        .until(() -> NativeMemory.getByte(m.address() + LENGTH - 63) != 0);
                assertThat(NativeMemory.getByte(m.address() + LENGTH - 63)).as("the child's verdict (1 = ok)")
                        .isEqualTo((byte) 1);
            }
            assertThat(dir.resolve(name)).as("closing an opened mapping does not delete the file").exists();
            child.kill();
            assertThat(SharedMapping.sweepStale(dir)).as("files of the killed child swept").isGreaterThanOrEqualTo(1);
            assertThat(dir.resolve(name)).doesNotExist();
        }
    }

    @Test
    void openingOurOwnMappingSharesItsPages() {
        try (SharedMapping created = SharedMapping.create(tmp, LENGTH);
                SharedMapping opened = SharedMapping.open(tmp, created.name(), LENGTH)) {
            assertThat(opened.address()).isNotEqualTo(created.address());
            NativeMemory.putByte(created.address() + 4095, (byte) 9);
            assertThat(NativeMemory.getByte(opened.address() + 4095)).isEqualTo((byte) 9);
        }
    }

    @Test
    void closeUnmapsDeletesTheFileAndIsIdempotent() {
        SharedMapping m = SharedMapping.create(tmp, LENGTH);
        Path path = m.path();
        m.close();
        assertThat(path).doesNotExist();
        m.close();
        assertThat(m.toString()).contains("closed");
        SharedMapping other = SharedMapping.create(tmp, LENGTH);
        SharedMapping opened = SharedMapping.open(tmp, other.name(), LENGTH);
        opened.close();
        opened.close();
        assertThat(other.path()).as("closing an opened mapping leaves the creator's file").exists();
        other.close();
        assertThat(other.path()).doesNotExist();
    }

    @Test
    void namesThatAreNotOursAreRefusedBeforeAnyFileIsTouched() {
        for (String bad : new String[] {null, "", "../../etc/passwd", "/etc/passwd", "mooncake-1-abc",
                "mooncake-12-0123456789ABCDEF", "mooncake-0-0123456789abcdef", "mooncake-12-0123456789abcdef/x",
                "mooncake-12-0123456789abcdef\n", "x/mooncake-12-0123456789abcdef", "mooncake-12-0123456789abcdef0"}) {
            assertThatThrownBy(() -> SharedMapping.open(tmp, bad, LENGTH)).as("name %s", bad)
                    .isInstanceOfSatisfying(MooncakeException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                    .hasMessageContaining("invalid shared-memory name")
                    .hasMessageContaining("mooncake-<pid>-<16 lowercase hex digits>");
        }
    }

    @Test
    void missingFileIsNamedWithItsPath() {
        String name = "mooncake-12345-0123456789abcdef";
        assertThatThrownBy(() -> SharedMapping.open(tmp, name, LENGTH))
                .isInstanceOfSatisfying(MooncakeException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MEMORY))
                .hasMessageContaining(tmp.resolve(name).toString())
                .hasMessageContaining("does not exist");
    }

    @Test
    void fileShorterThanPublishedIsRefused() throws IOException {
        String name = "mooncake-12345-00000000000000aa";
        fakeFile(name, 4096);
        assertThatThrownBy(() -> SharedMapping.open(tmp, name, 8192))
                .isInstanceOfSatisfying(MooncakeException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MEMORY))
                .hasMessageContaining(tmp.resolve(name).toString())
                .hasMessageContaining("is 4096 bytes (4.0 KiB), shorter than the 8192 bytes (8.0 KiB)");
        try (SharedMapping m = SharedMapping.create(tmp, LENGTH)) {
            assertThatThrownBy(() -> SharedMapping.open(tmp, m.name(), 2 * LENGTH)).hasMessageContaining("shorter");
        }
    }

    @Test
    void symbolicLinksAndDirectoriesAreRefused() throws IOException {
        Path target = Files.writeString(tmp.resolve("secret"), "not for peers");
        String link = "mooncake-12345-00000000000000bb";
        Files.createSymbolicLink(tmp.resolve(link), target);
        assertThatThrownBy(() -> SharedMapping.open(tmp, link, 4)).hasMessageContaining("symbolic link");
        String dir = "mooncake-12345-00000000000000cc";
        Files.createDirectory(tmp.resolve(dir));
        assertThatThrownBy(() -> SharedMapping.open(tmp, dir, 4)).hasMessageContaining("a directory");
    }

    @Test
    void directoryThatIsNotWritableFailsWithTheFix() throws IOException {
        Path dir = tmp.resolve("read-only");
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("r-x------")));
        if (Files.isWritable(dir)) {
            dir = Path.of("/sys/kernel"); // root ignores permission bits; sysfs refuses new files even to root
        }
        Path where = dir;
        assertThatThrownBy(() -> SharedMapping.create(where, LENGTH))
                .isInstanceOfSatisfying(MooncakeException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MEMORY))
                .hasMessageContaining("cannot create shared-memory file " + where.resolve("mooncake-"))
                .hasMessageContaining("permission denied; make " + where + " writable");
        assertThatThrownBy(() -> SharedMapping.create(tmp.resolve("absent"), LENGTH))
                .hasMessageContaining(tmp.resolve("absent") + " does not exist");
    }

    @Test
    void moreThanTheSharedMemoryFilesystemHoldsFailsAtCreateWithTheFix() throws IOException {
        Path dir = SharedMapping.defaultDirectory();
        long free = Files.getFileStore(dir).getUsableSpace();
        long length = free + (1L << 30);
        try (Stream<Path> before = Files.list(dir)) {
            long mine = before.filter(p -> p.getFileName().toString().startsWith(ownPrefix())).count();
            assertThatThrownBy(() -> SharedMapping.create(dir, length))
                    .isInstanceOfSatisfying(MooncakeException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MEMORY))
                    .hasMessageContaining("cannot create a shared-memory mapping of " + length + " bytes")
                    .hasMessageContaining(" in " + dir + " (")
                    .hasMessageContaining(" free of ")
                    .hasMessageContaining("not enough free space")
                    .hasMessageContaining("docker run --shm-size")
                    .hasMessageContaining("medium: Memory");
            try (Stream<Path> after = Files.list(dir)) {
                assertThat(after.filter(p -> p.getFileName().toString().startsWith(ownPrefix())).count())
                        .as("no file left behind").isEqualTo(mine);
            }
        }
    }

    /**
     * A filesystem that fills up while the file is preallocated: a child JVM limited to small files
     * ({@code ulimit -f}, the kernel then fails writes with EFBIG just as a full tmpfs fails them with
     * ENOSPC) creates a 4 MiB mapping, and must get the error from {@code create}, not a SIGBUS later.
     */
    @Test
    void failingPreallocationIsReportedByCreateAndLeavesNoFile() throws Exception {
        Jvm.Result r = Jvm.run(Jvm.currentJava(), List.of("--enable-native-access=ALL-UNNAMED"), "ulimit -f 1024 &&",
                SharedMappingPeer.class, "create-once", tmp.toString(), Long.toString(4 * LENGTH));
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stdout()).as(r.toString())
                .startsWith("FAILED MEMORY cannot create a shared-memory mapping of 4194304 bytes (4.0 MiB) in " + tmp)
                .contains("preallocating " + tmp + "/mooncake-")
                .containsPattern("failed at byte [0-9]+: File too large")
                .contains("docker run --shm-size");
        try (Stream<Path> files = Files.list(tmp)) {
            assertThat(files).as("the half-written file is deleted").isEmpty();
        }
    }

    @Test
    void beforeJdk22MappingsAbove2GiBAreRefusedNamingTheLimit() throws IOException {
        String name = "mooncake-12345-00000000000000dd";
        long length = 3L << 30;
        fakeFile(name, length); // sparse: no memory used
        if (NativeMemory.FOREIGN) {
            try (SharedMapping m = SharedMapping.open(tmp, name, length)) {
                long last = m.address() + length - 1;
                NativeMemory.putByte(last, (byte) 5);
                assertThat(NativeMemory.getByte(last)).isEqualTo((byte) 5);
            }
        } else {
            assertThatThrownBy(() -> SharedMapping.open(tmp, name, length))
                    .isInstanceOfSatisfying(MooncakeException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MEMORY))
                    .hasMessageContaining("limited to 2147483647 bytes")
                    .hasMessageContaining("JDK 22 or later, which lifts the limit");
            assertThatThrownBy(() -> SharedMapping.create(tmp, length)).hasMessageContaining("limited to 2147483647 bytes");
        }
    }

    @Test
    void sweepDeletesFilesOfDeadProcessesOnly() throws Exception {
        long dead = deadPid();
        String stale = "mooncake-" + dead + "-00000000000000ee";
        String foreign = "mooncake-" + dead + "-00000000000000ef";
        fakeFile(stale, 4096);
        fakeFile(foreign, 4096);
        fakeFile("mooncake-" + dead + "-not-ours", 4096);
        try (SharedMapping live = SharedMapping.create(tmp, LENGTH);
                ChildProcess holder = ChildProcess.start(SharedMappingPeer.class, "lock",
                        tmp.resolve(foreign).toString())) {
            // 'foreign' plays a file whose creator lives in another PID namespace: its pid is not
            // visible here, but the creator holds the file's lock
            assertThat(holder.field(0)).isEqualTo("locked");
            assertThat(SharedMapping.sweepStale(tmp)).isEqualTo(1);
            assertThat(tmp.resolve(stale)).doesNotExist();
            assertThat(tmp.resolve(foreign)).exists();
            assertThat(live.path()).as("our own live mapping").exists();
            assertThat(tmp.resolve("mooncake-" + dead + "-not-ours")).as("a name we never create").exists();
            holder.kill();
            assertThat(SharedMapping.sweepStale(tmp)).as("after the lock holder died").isEqualTo(1);
            assertThat(tmp.resolve(foreign)).doesNotExist();
        }
        assertThat(SharedMapping.sweepStale(tmp.resolve("absent"))).isZero();
    }

    @Test
    void filesOfOtherUsersAreNeitherOpenedNorSwept() throws IOException, InterruptedException {
        String name = "mooncake-" + deadPid() + "-00000000000000ff";
        Path file = fakeFile(name, 4096);
        try {
            Files.setAttribute(file, "unix:uid", 65534);
        } catch (IOException e) {
            assumeThat(false).as("giving a file to another user needs root (" + e + "): not tested here").isTrue();
        }
        assertThatThrownBy(() -> SharedMapping.open(tmp, name, 4096))
                .hasMessageContaining("it belongs to uid 65534")
                .hasMessageContaining("run both engines as the same user");
        assertThat(SharedMapping.sweepStale(tmp)).isZero();
        assertThat(file).exists();
    }

    @Test
    void lengthMustBePositive() {
        assertThatThrownBy(() -> SharedMapping.create(tmp, 0))
                .isInstanceOfSatisfying(MooncakeException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("length must be > 0");
        assertThatThrownBy(() -> SharedMapping.open(tmp, "mooncake-12-0123456789abcdef", -1))
                .hasMessageContaining("invalid length -1");
    }

    @Test
    void defaultDirectoryIsDevShmWhereItExists() {
        Path expected = Files.isDirectory(Path.of("/dev/shm")) ? Path.of("/dev/shm")
                : Path.of(System.getProperty("java.io.tmpdir"));
        assertThat(SharedMapping.defaultDirectory()).isEqualTo(expected);
    }

    private Path fakeFile(String name, long length) throws IOException {
        Path p = Files.createFile(tmp.resolve(name),
                PosixFilePermissions.asFileAttribute(Set.copyOf(PosixFilePermissions.fromString("rw-------"))));
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(length);
        }
        return p;
    }

    private static String ownPrefix() {
        return "mooncake-" + ProcessHandle.current().pid() + "-";
    }

    /** The pid of a process that has exited. */
    private static long deadPid() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("true").start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        long pid = p.pid();
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        return pid;
    }
}
