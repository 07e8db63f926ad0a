package io.mooncake.transport.nvlink;

import io.mooncake.device.cuda.GpuTests;
import io.mooncake.device.cuda.RequiresGpu;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.testing.GpuPeerContractTests;

/**
 * The transport contract over the nvlink VMM path between two processes: the target is another JVM
 * running nvlink whose buffer is engine-allocated {@code cuda:0} VMM memory, exported as a fabric
 * handle where the GPU has one, else (a single-GPU machine, fabric state N/A) as a POSIX file
 * descriptor the initiator takes with {@code pidfd_getfd} (the target is its child process, which
 * ptrace rules allow). Needs an NVIDIA GPU: skips here with an assumption naming what is missing,
 * mandatory with {@code -Dmooncake.gpu.required=true}. The target takes no part in the copies.
 */
@RequiresGpu
class NvlinkContractTests extends GpuPeerContractTests {

    NvlinkContractTests() {
        super("nvlink", "cuda:0");
    }

    @Override
    protected EngineConfig.Builder configureInitiator(EngineConfig.Builder base) {
        GpuTests.requireGpu();
        return base.disabledTransports("local");
    }
}
