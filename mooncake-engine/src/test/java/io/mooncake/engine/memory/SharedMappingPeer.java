package io.mooncake.engine.memory;

import io.mooncake.engine.api.MooncakeException;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The other process of {@link SharedMappingTest}: it opens or creates a mapping, reads what the
 * test wrote, writes its own bytes, and answers on stdout.
 *
 * <p>Layout of a mapping of {@code length} bytes: {@code [0, half)} written by the creator,
 * {@code [half, length - 64)} by the opener, a flag byte at {@code length - 64} (the opener has
 * written) and a verdict byte at {@code length - 63} (1: the creator read the opener's bytes
 * correctly, 2: it did not).
 */
public final class SharedMappingPeer {

    private SharedMappingPeer() {
    }

    static byte pattern(int seed, long i) {
        return (byte) (i * 131 + seed * 17 + (i >>> 9));
    }

    static void write(long address, long from, long to, int seed) {
        for (long i = from; i < to; i++) {
            NativeMemory.putByte(address + i, pattern(seed, i));
        }
        VarHandle.fullFence();
    }

    /** The first offset in {@code [from, to)} not holding the pattern, or -1. */
    static long check(long address, long from, long to, int seed) {
        VarHandle.fullFence();
        for (long i = from; i < to; i++) {
            if (NativeMemory.getByte(address + i) != pattern(seed, i)) {
                return i;
            }
        }
        return -1;
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "open" -> {
                // open <dir> <name> <length>: check the creator's half, write ours
                long length = Long.parseLong(args[3]);
                SharedMapping m = SharedMapping.open(Path.of(args[1]), args[2], length);
                long bad = check(m.address(), 0, length / 2, 1);
                write(m.address(), length / 2, length - 64, 2);
                System.out.println("READY " + (bad < 0 ? "ok" : "bad-at-" + bad) + " " + m.created());
                System.out.flush();
                Thread.sleep(Long.MAX_VALUE);
            }
            case "create" -> {
                // create <dir> <length>: write our half, wait for the opener's flag, check its bytes, answer
                long length = Long.parseLong(args[2]);
                SharedMapping m = SharedMapping.create(Path.of(args[1]), length);
                write(m.address(), 0, length / 2, 3);
                System.out.println("READY " + m.name() + " " + ProcessHandle.current().pid());
                System.out.flush();
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (NativeMemory.getByte(m.address() + length - 64) == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                    VarHandle.fullFence();
                }
                long bad = check(m.address(), length / 2, length - 64, 4);
                NativeMemory.putByte(m.address() + length - 63, (byte) (bad < 0 ? 1 : 2));
                VarHandle.fullFence();
                Thread.sleep(Long.MAX_VALUE);
            }
            case "lock" -> {
                // lock <file>: hold the file's lock, as a live creator in another PID namespace would
                try (FileChannel ch = FileChannel.open(Path.of(args[1]), StandardOpenOption.WRITE);
                        FileLock lock = ch.lock()) {
                    System.out.println("READY locked " + lock.isValid());
                    System.out.flush();
                    Thread.sleep(Long.MAX_VALUE);
                }
            }
            case "create-once" -> {
                // create-once <dir> <length>: try to create, say what happened, exit
                try (SharedMapping m = SharedMapping.create(Path.of(args[1]), Long.parseLong(args[2]))) {
                    System.out.println("CREATED " + m.name());
                } catch (MooncakeException e) {
                    System.out.println("FAILED " + e.code() + " " + e.getMessage());
                }
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
    }
}
