package io.mooncake.transport.efa;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.transport.contract.ChildJvmPeer;
import io.mooncake.engine.transport.contract.Peer;
import io.mooncake.engine.transport.contract.TransportContractTests;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The transport contract on efa, over libfabric's {@code tcp;ofi_rxm} provider on loopback (the
 * efa provider needs EFA hardware; the data path is the same code): the peer is a child JVM, both
 * sides run efa and tcp only, so every byte counted for efa went through libfabric RMA.
 */
class EfaTransportContractTests extends TransportContractTests {

    @Override
    protected String protocolUnderTest() {
        return "efa";
    }

    @Override
    protected Peer startPeer(long bufferBytes) {
        return ChildJvmPeer.start(bufferBytes, "efa", EfaOverTcp.class);
    }

    @Override
    protected EngineConfig.Builder configureInitiator(EngineConfig.Builder base) {
        return new EfaOverTcp().apply(base);
    }

    /** efa over {@code tcp;ofi_rxm} on {@code lo}, the same-host transports off (applied in the peer's JVM too). */
    static final class EfaOverTcp implements UnaryOperator<EngineConfig.Builder> {
        @Override
        public EngineConfig.Builder apply(EngineConfig.Builder b) {
            return b.environment(Map.of(EfaSettings.PROVIDER_ENV, "tcp;ofi_rxm")).protocol("efa").deviceName("lo")
                    .disabledTransports("local,shm");
        }
    }
}
