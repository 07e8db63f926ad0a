package io.mooncake.transport.rdma;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.testsupport.Engines;
import io.mooncake.engine.transport.contract.InProcessPeer;
import io.mooncake.engine.transport.contract.Peer;
import io.mooncake.engine.transport.contract.TransportContractTests;

/**
 * The engine's transport contract, run against {@link RdmaTransport} on the in-memory verbs fabric:
 * a test fixture standing in for HCAs, which cannot exist on this project's machines. Both engines
 * run in this JVM (the fabric is in-process), with the same-host and same-process transports off
 * so that the route goes over rdma; a hung peer cannot be simulated in-process (those tests skip).
 * On hardware, the same transport runs through the real libibverbs; docs/rdma.md says how to check it.
 */
class RdmaTransportContractTests extends TransportContractTests {

    @Override
    protected String protocolUnderTest() {
        return InMemoryRdmaTransportProvider.PROTOCOL;
    }

    @Override
    protected Peer startPeer(long bufferBytes) {
        return InProcessPeer.start(rdmaOnly(Engines.allTransports()).build(), bufferBytes);
    }

    @Override
    protected boolean killFailsRequestsInFlight() {
        return false; // killing an in-process peer closes its engine, which lets transfers using its memory end first
    }

    @Override
    protected EngineConfig.Builder configureInitiator(EngineConfig.Builder base) {
        return rdmaOnly(base);
    }

    private static EngineConfig.Builder rdmaOnly(EngineConfig.Builder b) {
        return b.protocol(InMemoryRdmaTransportProvider.PROTOCOL).disabledTransports("local,shm");
    }
}
