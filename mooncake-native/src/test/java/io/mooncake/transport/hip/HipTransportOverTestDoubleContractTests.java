package io.mooncake.transport.hip;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.testsupport.Engines;
import io.mooncake.engine.transport.contract.Peer;
import io.mooncake.engine.transport.contract.TransportContractTests;
import io.mooncake.testing.HipTestDouble;
import org.junit.jupiter.api.AfterAll;

/**
 * The engine's transport contract, run against the real {@link HipTransport} over the HIP TEST
 * DOUBLE ({@link HipTestDouble}), which stands for AMD GPUs: they cannot exist on this project's
 * machines. The peer's buffer is "device memory" of the double ({@code hip:0}), published with its
 * IPC handle; the initiator opens the handle (mapping the same bytes at another address) and
 * copies on its streams, from and into host memory. Same-host and same-process transports are off
 * so the route goes over hip. A hung peer cannot be simulated (GPU copies do not involve the
 * peer's threads; those tests skip); {@code HipTransportTest} stalls the simulated GPU instead.
 * On AMD hardware, {@link HipTransportContractTests} runs the same suite over the real runtime.
 */
class HipTransportOverTestDoubleContractTests extends TransportContractTests {

    private static final HipTestDouble.Gpus GPUS = HipDouble.activate(2);

    @AfterAll
    static void endSimulation() {
        HipDouble.deactivate(GPUS);
    }

    @Override
    protected String protocolUnderTest() {
        return HipDouble.PROTOCOL;
    }

    @Override
    protected Peer startPeer(long bufferBytes) {
        return HipPeer.start(hipOnly(Engines.allTransports()).build(), GPUS.process(), bufferBytes);
    }

    @Override
    protected boolean killFailsRequestsInFlight() {
        return false; // an in-process peer's close lets copies into its memory end first
    }

    @Override
    protected EngineConfig.Builder configureInitiator(EngineConfig.Builder base) {
        return hipOnly(base);
    }

    private static EngineConfig.Builder hipOnly(EngineConfig.Builder b) {
        return b.protocol(HipDouble.PROTOCOL).disabledTransports("local,shm");
    }
}
