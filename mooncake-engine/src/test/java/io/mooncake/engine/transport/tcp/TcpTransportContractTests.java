package io.mooncake.engine.transport.tcp;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.transport.contract.ChildJvmPeer;
import io.mooncake.engine.transport.contract.Peer;
import io.mooncake.engine.transport.contract.TransportContractTests;
import java.util.function.UnaryOperator;

/**
 * The transport contract over tcp: the target is another JVM on loopback, found through
 * P2PHANDSHAKE. Both sides run tcp only, since on one host the same-host transports would win the
 * route.
 */
class TcpTransportContractTests extends TransportContractTests {

    @Override
    protected String protocolUnderTest() {
        return "tcp";
    }

    @Override
    protected Peer startPeer(long bufferBytes) {
        return ChildJvmPeer.start(bufferBytes, "tcp", TcpOnly.class);
    }

    @Override
    protected EngineConfig.Builder configureInitiator(EngineConfig.Builder base) {
        return new TcpOnly().apply(base);
    }

    /** Runs tcp alone (applied in the peer's JVM too). */
    static final class TcpOnly implements UnaryOperator<EngineConfig.Builder> {
        @Override
        public EngineConfig.Builder apply(EngineConfig.Builder b) {
            return b.protocol("tcp").disabledTransports("local,shm");
        }
    }
}
