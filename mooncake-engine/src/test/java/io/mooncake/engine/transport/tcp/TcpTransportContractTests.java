package io.mooncake.engine.transport.tcp;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.transport.contract.ChildJvmPeer;
import io.mooncake.engine.transport.contract.Peer;
import io.mooncake.engine.transport.contract.TransportContractTests;

/** The transport contract over tcp: the target is another JVM on loopback, found through P2PHANDSHAKE. */
class TcpTransportContractTests extends TransportContractTests {

    @Override
    protected String protocolUnderTest() {
        return "tcp";
    }

    @Override
    protected Peer startPeer(long bufferBytes) {
        return ChildJvmPeer.start(bufferBytes, "tcp");
    }

    @Override
    protected EngineConfig.Builder configureInitiator(EngineConfig.Builder base) {
        return base.protocol("tcp");
    }
}
