package io.mooncake.probe;

import io.mooncake.engine.config.EngineConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a probe reads: the root under which {@code /sys}, {@code /proc} and {@code /dev} live
 * ({@code /} on a real host, a {@code @TempDir} in tests), the library loader, the environment
 * (for {@code MC_*} switches and vendor install locations) and the device-file check.
 *
 * @param root the filesystem root to read under
 * @param loader where vendor libraries come from
 * @param env environment variables
 * @param access how device files are checked
 */
public record ProbeContext(Path root, LibraryLoader loader, Map<String, String> env, DeviceAccess access) {

    public ProbeContext {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(loader, "loader");
        Objects.requireNonNull(access, "access");
        env = env == null ? Map.of() : Map.copyOf(env);
    }

    /** A context for the real host: root {@code /}, real libraries, the process environment. */
    public static ProbeContext host() {
        return new ProbeContext(Path.of("/"), LibraryLoader.jna(), System.getenv(), DeviceAccess.OPEN);
    }

    /** A context reading what an engine configuration names (sysfs root, environment). */
    public static ProbeContext of(EngineConfig config, LibraryLoader loader, DeviceAccess access) {
        return new ProbeContext(Path.of(config.sysfsRoot()), loader, config.environment(), access);
    }

    /** The path of a host path ({@code /sys/class/infiniband}) under the root. */
    public Path path(String hostPath) {
        String rel = hostPath.startsWith("/") ? hostPath.substring(1) : hostPath;
        return rel.isEmpty() ? root : root.resolve(rel);
    }

    /** An environment variable, or {@code null} when unset or blank. */
    public String env(String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v.trim();
    }

    /**
     * Library candidates: {@code fileName} inside {@code <value of each variable>/<subdir>}, then the
     * given default directories, then the bare file name for the dynamic linker's own search.
     */
    public List<String> librarySearch(String fileName, List<String> variables, String subdir, List<String> defaults) {
        List<String> out = new ArrayList<>();
        for (String var : variables) {
            String home = env(var);
            if (home != null) {
                out.add(Path.of(home, subdir, fileName).toString());
            }
        }
        for (String dir : defaults) {
            out.add(Path.of(dir, fileName).toString());
        }
        out.add(fileName);
        return List.copyOf(out);
    }
}
