package io.mooncake.jna;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads a JNA library interface from a list of candidate names or paths, turning every linkage
 * failure into a {@link Loaded} with the linker's message instead of an exception.
 *
 * <p>Catches {@link UnsatisfiedLinkError} (library or symbol missing) and {@link LinkageError}
 * such as {@link NoClassDefFoundError} (JNA's own native part unusable), as OSHI and Netty do, so
 * that a missing optional library never escapes a probe. Failures are logged at DEBUG, their stack
 * traces only at TRACE. Thread-safe (stateless).
 */
public final class NativeLoading {

    private static final Logger log = LoggerFactory.getLogger(NativeLoading.class);

    private NativeLoading() {
    }

    /**
     * Loads the first candidate that links and wraps it.
     *
     * @param iface the JNA interface
     * @param candidates library names ({@code libibverbs.so.1}) or absolute paths, tried in order
     * @param facade builds the Java facade from the raw binding
     * @return the facade, or the failure of every candidate
     */
    public static <L extends Library, T> Loaded<T> load(Class<L> iface, List<String> candidates,
            Function<L, T> facade) {
        return attempt(iface.getSimpleName(), candidates, c -> facade.apply(Native.load(c, iface)));
    }

    /** Whether a library can be opened at all (for libraries this module only checks for); the facade is its name. */
    public static Loaded<String> present(List<String> candidates) {
        return attempt("library", candidates, c -> {
            NativeLibrary.getInstance(c);
            return c;
        });
    }

    private static <T> Loaded<T> attempt(String what, List<String> candidates, Function<String, T> open) {
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("no candidate names for " + what);
        }
        List<String> failures = new ArrayList<>();
        boolean denied = false;
        for (String candidate : candidates) {
            try {
                T loaded = open.apply(candidate);
                log.debug("Loaded {} from {}", what, candidate);
                return Loaded.of(candidate, loaded);
            } catch (LinkageError e) {
                String text = firstLine(e.getMessage());
                denied |= text.toLowerCase(Locale.ROOT).contains("permission denied");
                failures.add(text);
                log.debug("Cannot load {} from {}: {}", what, candidate, text);
                log.trace("Stack of the failed load of {}", candidate, e);
            }
        }
        String failure = String.join("; ", failures);
        return denied ? Loaded.denied(candidates.get(0), failure) : Loaded.missing(candidates.get(0), failure);
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unknown linkage error";
        }
        int nl = message.indexOf('\n');
        return (nl < 0 ? message : message.substring(0, nl)).trim();
    }
}
