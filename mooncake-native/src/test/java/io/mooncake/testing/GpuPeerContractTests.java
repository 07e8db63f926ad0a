package io.mooncake.testing;

import io.mooncake.engine.transport.contract.ChildJvmPeer;
import io.mooncake.engine.transport.contract.Peer;
import io.mooncake.engine.transport.contract.TransportContractTests;

/**
 * The transport contract for the GPU transports that copy a peer's device memory through a mapped
 * handle (nvlink, nvlink_intra, hip): the target is another JVM running the protocol whose buffer is
 * device memory at {@code location}; the initiator maps it and copies, and the target process
 * takes no part in the copies, so a stopped peer does not stall them and a killed peer's memory
 * stays mapped until the initiator's mapping closes (the hooks say so). Subclasses say which
 * hardware they need (skipped with an assumption naming what is missing, mandatory with
 * {@code -Dmooncake.gpu.required=true}) and how the initiator is configured.
 */
public abstract class GpuPeerContractTests extends TransportContractTests {

    private final String protocol;
    private final String location;

    protected GpuPeerContractTests(String protocol, String location) {
        this.protocol = protocol;
        this.location = location;
    }

    @Override
    protected final String protocolUnderTest() {
        return protocol;
    }

    @Override
    protected final Peer startPeer(long bufferBytes) {
        return ChildJvmPeer.start(bufferBytes, protocol, null, location);
    }

    @Override
    protected final boolean stoppedPeerStallsTransfers() {
        return false;
    }

    @Override
    protected final boolean killFailsRequestsInFlight() {
        return false;
    }
}
