package io.mooncake.jna.libc;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * The few libc calls the memory-device transports need that the JDK does not offer: mapping a
 * character device (a device-DAX {@code /dev/daxX.Y}, whose size {@code FileChannel.map} cannot see)
 * and mappings larger than 2 GiB on JDK 17 to 21. Constants are Linux's (x86-64 and aarch64 agree).
 * Errors arrive as {@link LastErrorException} carrying {@code errno}.
 */
public interface LibC extends Library {

    int O_RDWR = 2;
    int O_CLOEXEC = 0x80000;
    int PROT_READ = 1;
    int PROT_WRITE = 2;
    int MAP_SHARED = 1;
    /** What {@code mmap} returns on failure. */
    long MAP_FAILED = -1L;

    /** Loaded on first use. */
    final class Holder {
        public static final LibC INSTANCE = Native.load("c", LibC.class);

        private Holder() {
        }
    }

    int open(String path, int flags) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    long mmap(long addr, long length, int prot, int flags, int fd, long offset) throws LastErrorException;

    int munmap(long addr, long length) throws LastErrorException;

    /** {@code strerror} for a {@link LastErrorException}'s code. */
    String strerror(int errnum);
}
