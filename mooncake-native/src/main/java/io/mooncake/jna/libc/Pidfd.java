package io.mooncake.jna.libc;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * Taking a file descriptor from another process of this host: {@code pidfd_open(2)} and
 * {@code pidfd_getfd(2)} (Linux 5.6+), through libc's {@code syscall} (glibc 2.31 has no
 * wrappers; the numbers are the same on every architecture since Linux 5.1). The caller needs
 * ptrace access to the other process ({@code PTRACE_MODE_ATTACH_REALCREDS}): the same user, and
 * Yama's {@code kernel.yama.ptrace_scope} at 0, or CAP_SYS_PTRACE.
 */
public interface Pidfd extends Library {

    long SYS_PIDFD_OPEN = 434;
    long SYS_PIDFD_GETFD = 438;

    /** Lazily loaded libc. */
    final class Holder {
        private Holder() {
        }

        public static final Pidfd INSTANCE = Native.load("c", Pidfd.class);
    }

    long syscall(long number, Object... args) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    String strerror(int errnum);

    /**
     * A duplicate, in this process, of descriptor {@code fd} of process {@code pid}.
     *
     * @throws LastErrorException with errno (EPERM: no ptrace access; ESRCH: no such process; EBADF: no such fd;
     *     ENOSYS: kernel before 5.6 or a seccomp filter)
     */
    static int take(long pid, int fd) {
        Pidfd c = Holder.INSTANCE;
        int pidfd = (int) c.syscall(SYS_PIDFD_OPEN, (int) pid, 0);
        try {
            return (int) c.syscall(SYS_PIDFD_GETFD, pidfd, fd, 0);
        } finally {
            c.close(pidfd);
        }
    }
}
