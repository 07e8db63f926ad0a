package io.mooncake.engine.transport.local;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.testsupport.Engines;
import io.mooncake.engine.transport.contract.InProcessPeer;
import io.mooncake.engine.transport.contract.Peer;
import io.mooncake.engine.transport.contract.TransportContractTests;

/**
 * The transport contract within one process: the target is another engine in this JVM, reached by
 * the same-process transport. A hung peer cannot be simulated in-process (those tests skip).
 */
class LocalTransportContractTests extends TransportContractTests {

    @Override
    protected String protocolUnderTest() {
        return "local";
    }

    @Override
    protected Peer startPeer(long bufferBytes) {
        return InProcessPeer.start(Engines.allTransports().build(), bufferBytes);
    }

    @Override
    protected boolean killFailsRequestsInFlight() {
        return false; // killing an in-process peer closes its engine, which waits for copies using its memory
    }

    @Override
    protected EngineConfig.Builder configureInitiator(EngineConfig.Builder base) {
        return base.protocol("tcp");
    }
}
