package io.mooncake.device.cuda;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mooncake.jna.Loaded;
import io.mooncake.jna.cuda.Cuda;

/**
 * The gate of every test that needs a real NVIDIA GPU: it skips (a JUnit assumption naming what is
 * missing: libcuda.so.1, or a GPU) where there is none, and fails instead when
 * {@code -Dmooncake.gpu.required=true} (as {@code mooncake-native/bin/gpu-check} runs them on a GPU
 * machine), so a skip there is never mistaken for a pass.
 */
public final class GpuTests {

    /** The system property that makes GPU tests mandatory. */
    public static final String REQUIRED = "mooncake.gpu.required";

    private GpuTests() {
    }

    /** The real driver with at least one GPU, or skips (fails when required) naming what is missing. */
    public static Cuda requireGpu() {
        Loaded<Cuda> l = Cuda.load();
        if (!l.isLoaded()) {
            missing("no CUDA driver: " + l.name() + " cannot be loaded (" + l.failure() + ")");
        }
        int n;
        try {
            n = l.library().deviceCount();
        } catch (RuntimeException e) {
            missing("the CUDA driver does not start: " + e.getMessage());
            return null;
        }
        if (n == 0) {
            missing("the CUDA driver sees no GPU");
        }
        return l.library();
    }

    /** What is missing for GPU tests ({@code null} when a GPU is there). */
    public static String missingReason() {
        Loaded<Cuda> l = Cuda.load();
        if (!l.isLoaded()) {
            return "no CUDA driver: " + l.name() + " cannot be loaded (" + l.failure() + ")";
        }
        try {
            return l.library().deviceCount() > 0 ? null : "the CUDA driver sees no GPU";
        } catch (RuntimeException e) {
            return "the CUDA driver does not start: " + e.getMessage();
        }
    }

    static void missing(String what) {
        if (Boolean.getBoolean(REQUIRED)) {
            fail(what + " (-D" + REQUIRED + "=true makes GPU tests mandatory)");
        }
        assumeTrue(false, "GPU test skipped: " + what + " (needs an NVIDIA GPU; run mooncake-native/bin/gpu-check "
                + "on a GPU machine)");
    }
}
