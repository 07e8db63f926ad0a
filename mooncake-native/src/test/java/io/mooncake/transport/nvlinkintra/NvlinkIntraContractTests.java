package io.mooncake.transport.nvlinkintra;

import io.mooncake.device.cuda.GpuTests;
import io.mooncake.device.cuda.RequiresGpu;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.testing.GpuPeerContractTests;

/**
 * The transport contract over real CUDA IPC between two processes on one GPU: the target is another
 * JVM running nvlink_intra whose buffer is {@code cuda:0} device memory (filled and checked through
 * the CUDA module's copies), the initiator runs nvlink_intra with host memory on its side. Needs an
 * NVIDIA GPU: skips here with an assumption naming what is missing, and is mandatory with
 * {@code -Dmooncake.gpu.required=true} ({@code mooncake-native/bin/gpu-check}). The target process
 * takes no part in the copies, so a stopped peer does not stall them, and a killed peer's memory
 * stays mapped until its mappings close; the hooks say so.
 */
@RequiresGpu
class NvlinkIntraContractTests extends GpuPeerContractTests {

    NvlinkIntraContractTests() {
        super("nvlink_intra", "cuda:0");
    }

    @Override
    protected EngineConfig.Builder configureInitiator(EngineConfig.Builder base) {
        GpuTests.requireGpu();
        return base.disabledTransports("local");
    }
}
