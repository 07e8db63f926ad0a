package io.mooncake.probe;

import io.mooncake.jna.AcceleratorRuntime;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.fabric.Fabric;
import io.mooncake.jna.hip.Hip;
import io.mooncake.jna.nvml.Nvml;
import io.mooncake.jna.verbs.Verbs;
import java.util.List;

/**
 * Where probes get vendor libraries from. The default, {@link #jna()}, loads the real libraries
 * through JNA once per JVM; tests pass fakes for libraries that cannot exist on the build host.
 * Every method answers a {@link Loaded} and never throws for a missing library.
 */
public interface LibraryLoader {

    /** libibverbs (rdma-core). */
    Loaded<Verbs> verbs();

    /** libfabric. */
    Loaded<Fabric> fabric();

    /** NVML, from the NVIDIA driver. */
    Loaded<Nvml> nvml();

    /** The HIP runtime, from the first of {@code candidates} (names or paths) that links. */
    Loaded<AcceleratorRuntime> hip(List<String> candidates);

    /**
     * The HIP runtime as the {@code hip} transport and allocator use it (device memory, IPC handles,
     * copies), from the first of {@code candidates} that links. Loaders without one (fakes of hosts
     * that only probe) answer it missing.
     */
    default Loaded<Hip> hipRuntime(List<String> candidates) {
        return Loaded.missing(candidates.get(0), "this library loader offers no HIP runtime");
    }

    /** AscendCL, from the first of {@code candidates} that links. */
    Loaded<AcceleratorRuntime> ascendCl(List<String> candidates);

    /** CNDrv (Cambricon), from the first of {@code candidates} that links. */
    Loaded<AcceleratorRuntime> cndrv(List<String> candidates);

    /** Whether any of {@code candidates} can be loaded (libraries only checked for: libcuda, libhccl, libaccl_barex, libcufile). */
    Loaded<String> library(List<String> candidates);

    /** The CUDA driver ({@code libcuda.so.1}); the default loads the real one once per JVM. */
    default Loaded<io.mooncake.jna.cuda.Cuda> cuda() {
        return io.mooncake.jna.cuda.Cuda.load();
    }

    /** The real libraries, through JNA. */
    static LibraryLoader jna() {
        return JnaLibraryLoader.INSTANCE;
    }
}
