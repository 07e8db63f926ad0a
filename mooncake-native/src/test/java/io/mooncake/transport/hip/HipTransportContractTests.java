package io.mooncake.transport.hip;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.testing.GpuPeerContractTests;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The engine's transport contract over the REAL HIP runtime between two processes on one AMD GPU:
 * the target is another JVM running {@code hip} whose buffer is {@code hip:0} memory
 * ({@code hipMalloc}, filled and checked through {@code HipDeviceMemory}'s copies), published with
 * its IPC handle; the initiator opens the handle ({@code hipIpcOpenMemHandle}) and copies with
 * {@code hipMemcpyAsync} from and into its host memory. Needs an AMD GPU with ROCm; elsewhere the
 * class is reported skipped with the runtime's own answer ({@link RequiresAmdGpu}), and
 * {@code -Dmooncake.gpu.required=true} makes that a failure. The target process takes no part in
 * the copies, so a stopped peer does not stall them, and a killed peer's memory stays mapped until
 * the initiator closes its mapping; the hooks say so.
 */
@ExtendWith(RequiresAmdGpu.class)
class HipTransportContractTests extends GpuPeerContractTests {

    HipTransportContractTests() {
        super("hip", "hip:0");
    }

    @Override
    protected EngineConfig.Builder configureInitiator(EngineConfig.Builder base) {
        return base.protocol("hip").disabledTransports("local,shm");
    }
}
