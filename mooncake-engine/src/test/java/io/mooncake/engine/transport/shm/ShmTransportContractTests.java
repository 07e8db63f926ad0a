package io.mooncake.engine.transport.shm;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.transport.contract.ChildJvmPeer;
import io.mooncake.engine.transport.contract.Peer;
import io.mooncake.engine.transport.contract.TransportContractTests;

/**
 * The transport contract over same-host shared memory: the target is another JVM on this host
 * running every transport; the initiator runs tcp and shm (not the same-process transport, which
 * does not reach another JVM anyway), so requests go over shm and tcp is there to fall back to.
 * A stopped (SIGSTOP) peer does not stall shared-memory copies, which the initiator makes itself:
 * those tests skip, saying so.
 */
class ShmTransportContractTests extends TransportContractTests {

    @Override
    protected String protocolUnderTest() {
        return "shm";
    }

    @Override
    protected Peer startPeer(long bufferBytes) {
        return ChildJvmPeer.start(bufferBytes, "tcp");
    }

    @Override
    protected boolean stoppedPeerStallsTransfers() {
        return false;
    }

    @Override
    protected EngineConfig.Builder configureInitiator(EngineConfig.Builder base) {
        return base.protocol("tcp").disabledTransports("local");
    }
}
