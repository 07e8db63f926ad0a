package io.mooncake.transport.hip;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.testsupport.Engines;
import io.mooncake.engine.transport.contract.Peer;
import io.mooncake.engine.transport.contract.TransportContractTests;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The engine's transport contract over the REAL HIP runtime and an AMD GPU: the peer's buffer is
 * {@code hipMalloc} memory on GPU 0 and every byte moves by {@code hipMemcpyAsync}. Needs an AMD
 * GPU with ROCm; elsewhere it skips, naming what is missing (the runtime's own answer, such as
 * {@code hipGetDeviceCount failed: hipErrorNoDevice (100)}). {@code -Dmooncake.gpu.required=true}
 * (what {@code bin/gpu-check} passes on a GPU machine) turns the skip into a failure.
 *
 * <p>Both engines run in this JVM, which shares one HIP runtime: the initiator recognises the
 * peer's handles as exported by its own process and copies at their addresses without
 * {@code hipIpcOpenMemHandle} (a process cannot open its own IPC handle). Opening handles of
 * another process is covered by {@link HipTransportOverTestDoubleContractTests} over the test
 * double only; see docs/gpu.md for the two-process check on hardware.
 */
@ExtendWith(RequiresAmdGpu.class)
class HipTransportContractTests extends TransportContractTests {

    static HipRuntime gpu() {
        return HipRuntime.real(System.getenv());
    }

    @Override
    protected String protocolUnderTest() {
        return "hip";
    }

    @Override
    protected Peer startPeer(long bufferBytes) {
        return HipPeer.start(hipOnly(Engines.allTransports()).build(), gpu().hip(), bufferBytes);
    }

    @Override
    protected boolean killFailsRequestsInFlight() {
        return false;
    }

    @Override
    protected EngineConfig.Builder configureInitiator(EngineConfig.Builder base) {
        return hipOnly(base);
    }

    private static EngineConfig.Builder hipOnly(EngineConfig.Builder b) {
        return b.protocol("hip").disabledTransports("local,shm");
    }
}
