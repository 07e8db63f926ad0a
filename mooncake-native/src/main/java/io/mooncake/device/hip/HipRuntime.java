package io.mooncake.device.hip;

import io.mooncake.jna.Loaded;
import io.mooncake.jna.hip.Hip;
import io.mooncake.jna.hip.HipAbi;
import io.mooncake.jna.hip.HipException;
import io.mooncake.jna.hip.JnaHip;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A HIP runtime this module can use (loaded, initialised, at least one AMD GPU), or the sentence
 * saying why not: the library that is missing, or what the runtime answered ({@code hipInit} and
 * {@code hipGetDeviceCount}, with their error names) when no GPU is visible.
 *
 * @param hip the runtime, or {@code null} when unusable
 * @param devices the GPUs it sees
 * @param unavailable why it cannot be used, or {@code null}
 */
public record HipRuntime(Hip hip, int devices, String unavailable) {

    /** The fix every "no GPU" answer carries. */
    public static final String NO_GPU_FIX = "run on a host with AMD Instinct/Radeon GPUs and the amdgpu driver "
            + "(in a container: --device=/dev/kfd --device=/dev/dri)";

    private static final Map<List<String>, HipRuntime> REAL = new ConcurrentHashMap<>();

    /** Whether it can be used. */
    public boolean usable() {
        return hip != null;
    }

    /**
     * Where {@code libamdhip64} is looked for: {@code $ROCM_PATH/lib}, {@code $HIP_PATH/lib},
     * {@code /opt/rocm/lib}, then the dynamic linker's path under the development name and the
     * runtime sonames of ROCm 6 and 5 (Debian's {@code libamdhip64-5} ships only the soname).
     */
    public static List<String> candidates(Map<String, String> env) {
        List<String> out = new ArrayList<>();
        for (String var : List.of("ROCM_PATH", "HIP_PATH")) {
            String home = env.get(var);
            if (home != null && !home.isBlank()) {
                out.add(Path.of(home, "lib", "libamdhip64.so").toString());
            }
        }
        out.add("/opt/rocm/lib/libamdhip64.so");
        out.add("libamdhip64.so");
        out.add("libamdhip64.so.6");
        out.add("libamdhip64.so.5");
        return List.copyOf(out);
    }

    /** The real runtime through JNA, checked once per JVM and candidate list. */
    public static HipRuntime real(Map<String, String> env) {
        return REAL.computeIfAbsent(candidates(env), c -> check(JnaHip.loadHip(c)));
    }

    /** The runtime a probe context's library loader offers (the real one through JNA, or a test double). */
    public static HipRuntime of(io.mooncake.probe.ProbeContext ctx) {
        if (ctx.loader() == io.mooncake.probe.LibraryLoader.jna()) {
            return real(ctx.env());
        }
        return check(ctx.loader().hipRuntime(candidates(ctx.env())));
    }

    /** Whether the amdgpu kernel driver's {@code /dev/kfd} exists: a cheap test before loading the runtime at all. */
    static boolean kfdPresent() {
        return Files.exists(Path.of("/dev/kfd"));
    }

    /** A loaded (or failed) library, initialised and asked for its devices. */
    public static HipRuntime check(Loaded<? extends Hip> loaded) {
        if (!loaded.isLoaded()) {
            return new HipRuntime(null, 0, "the HIP runtime (" + loaded.name() + ") cannot be loaded: " + loaded.failure()
                    + "; install ROCm's HIP runtime (libamdhip64) or set ROCM_PATH");
        }
        return of(loaded.library());
    }

    /** A runtime, initialised and asked for its devices. */
    public static HipRuntime of(Hip hip) {
        String what = "HIP runtime " + HipAbi.describeVersion(hip.runtimeVersion()) + " (" + hip.library() + ")";
        String init = null;
        try {
            hip.init();
        } catch (HipException e) {
            init = e.getMessage();
        }
        int count;
        try {
            count = hip.deviceCount();
        } catch (HipException e) {
            return new HipRuntime(null, 0, what + " loaded but sees no AMD GPU: " + (init == null ? "" : init + "; ")
                    + e.getMessage());
        }
        if (count == 0) {
            return new HipRuntime(null, 0, what + " loaded but sees no AMD GPU: hipGetDeviceCount returned 0 devices");
        }
        return new HipRuntime(hip, count, null);
    }
}
