package io.mooncake.jna.fabric;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the JVM's own signal handlers installed across the loading of a native library that
 * replaces them.
 *
 * <p>Why: Debian's libfabric links the psm provider's {@code libpsm_infinipath.so.1}, which pulls
 * in {@code libinfinipath.so.4}. That library's constructor installs its own handlers for
 * {@code SIGSEGV}, {@code SIGBUS} and {@code SIGILL} (they write a {@code <prog>.<host>-<pid>,vm.btr}
 * backtrace file and exit). The JVM uses {@code SIGSEGV} itself, for implicit null checks in
 * compiled code, safepoint polls and stack banging, so after libfabric was loaded the next such
 * internal fault killed the process: on JDK 17 on the first {@code NullPointerException} thrown
 * from hot compiled code, on JDK 25 also at exit. This class snapshots every handler with
 * {@code sigaction} before the load and puts back each one that changed, logging which library
 * had replaced it. libfabric's shm provider does the same when an endpoint opens (handlers that
 * unlink its shared-memory files on a crash), so {@link RdmEndpoint#open} runs inside the guard too;
 * the price is that a JVM crash may leave shm files in {@code /dev/shm}. The alternative, the JDK's signal chaining library ({@code LD_PRELOAD} of
 * {@code libjsig.so}), needs a change to how the process is launched.
 *
 * <p>Thread-safe in the sense that matters: it is called once per library, from a lazy holder.
 * Handlers installed by other threads during the load window would be reverted too; nothing in
 * this process installs handlers concurrently.
 */
public final class SignalHandlerGuard {

    private static final Logger log = LoggerFactory.getLogger(SignalHandlerGuard.class);

    /** Signals checked: the classic 1..31 (real-time signals are not used by the JVM for faults). */
    static final int MAX_SIGNAL = 31;
    /** Larger than {@code struct sigaction} on every LP64 Linux (152 bytes on x86-64 and aarch64). */
    private static final int SIGACTION_BYTES = 256;
    /** {@code SIGKILL} and {@code SIGSTOP} cannot be queried or changed. */
    private static final int SIGKILL = 9;
    private static final int SIGSTOP = 19;

    /** The part of libc used here. */
    interface LibC extends Library {
        int sigaction(int signum, Pointer act, Pointer oldact);

        /** {@code Dl_info}: {@code dli_fname} is its first field. */
        int dladdr(Pointer addr, Pointer info);
    }

    private static final class Holder {
        static final LibC LIBC = Native.load("c", LibC.class);
    }

    private SignalHandlerGuard() {
    }

    /** One replaced handler that was put back. */
    public record Restored(int signal, String replacedBy) {
    }

    /**
     * Runs {@code load} and restores every signal handler it replaced.
     *
     * @param what the library, for the log line
     * @param load loads and initialises the library
     * @param restored receives the handlers put back (may be {@code null})
     * @return what {@code load} returned
     */
    public static <T> T around(String what, Supplier<T> load, List<Restored> restored) {
        Memory[] before = snapshot();
        try {
            return load.get();
        } finally {
            List<Restored> put = restore(before);
            if (!put.isEmpty()) {
                log.info("Loading {} replaced the JVM's handlers of {}; restored them (the JVM relies on its own "
                        + "SIGSEGV handler; without this the process dies on its next internal fault)", what, put);
            }
            if (restored != null) {
                restored.addAll(put);
            }
        }
    }

    /** The file name of the shared object whose code handles {@code signal} now ("" for default or ignore). */
    public static String handlerOwner(int signal) {
        Memory m = new Memory(SIGACTION_BYTES);
        m.clear();
        if (Holder.LIBC.sigaction(signal, null, m) != 0) {
            return "";
        }
        return owner(m.getPointer(0));
    }

    private static String owner(Pointer handler) {
        long h = Pointer.nativeValue(handler);
        if (h == 0 || h == 1) { // SIG_DFL, SIG_IGN
            return "";
        }
        Memory info = new Memory(64);
        info.clear();
        if (Holder.LIBC.dladdr(handler, info) == 0) {
            return "unknown code at 0x" + Long.toHexString(h);
        }
        Pointer name = info.getPointer(0);
        return name == null ? "unknown" : name.getString(0);
    }

    private static Memory[] snapshot() {
        Memory[] all = new Memory[MAX_SIGNAL + 1];
        for (int sig = 1; sig <= MAX_SIGNAL; sig++) {
            if (sig == SIGKILL || sig == SIGSTOP) {
                continue;
            }
            Memory m = new Memory(SIGACTION_BYTES);
            m.clear();
            if (Holder.LIBC.sigaction(sig, null, m) == 0) {
                all[sig] = m;
            }
        }
        return all;
    }

    private static List<Restored> restore(Memory[] before) {
        List<Restored> put = new ArrayList<>();
        for (int sig = 1; sig <= MAX_SIGNAL; sig++) {
            Memory old = before[sig];
            if (old == null) {
                continue;
            }
            Memory now = new Memory(SIGACTION_BYTES);
            now.clear();
            if (Holder.LIBC.sigaction(sig, null, now) != 0) {
                continue;
            }
            if (Pointer.nativeValue(now.getPointer(0)) != Pointer.nativeValue(old.getPointer(0))) {
                String by = owner(now.getPointer(0));
                if (Holder.LIBC.sigaction(sig, old, null) == 0) {
                    put.add(new Restored(sig, by));
                } else {
                    log.warn("Cannot restore the JVM's handler of signal {} replaced by {}", sig, by);
                }
            }
        }
        return put;
    }
}
