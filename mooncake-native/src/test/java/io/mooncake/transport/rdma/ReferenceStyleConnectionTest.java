package io.mooncake.transport.rdma;

import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.metadata.HostPort;
import io.mooncake.engine.rpc.HandshakeClient;
import io.mooncake.engine.rpc.HandshakeType;
import io.mooncake.engine.testsupport.Engines;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * A Connection request shaped as the reference's rdma transport sends it (no GID, no LID: the
 * receiver is to find them in the sender's descriptor) reaches an engine through its handshake
 * port; the engine has never opened the sender, so it fetches the sender's descriptor with a
 * Metadata request (P2PHANDSHAKE), as the reference does, and accepts. Both engines run rdma over
 * the in-memory verbs fabric, a test fixture standing in for HCAs.
 */
class ReferenceStyleConnectionTest {

    @Test
    void aReferenceStyleRequestFromAnUnopenedPeerIsAcceptedAfterFetchingItsDescriptor() {
        try (MooncakeEngine a = MooncakeEngine.start(rdma());
                MooncakeEngine b = MooncakeEngine.start(rdma())) {
            HostPort bAddress = HostPort.parse(b.localSegmentName());
            RdmaHandshake request = RdmaHandshake.request(new NicPath(a.localSegmentName(), "mlx5_0"),
                    new NicPath(b.localSegmentName(), "mlx5_1"), List.of(4660L, 4661L));
            assertThat(request.localGid()).isEmpty();

            JsonNode reply = new HandshakeClient(Duration.ofSeconds(5), Duration.ofSeconds(10), 1 << 20)
                    .call(bAddress.host(), bAddress.port(), HandshakeType.CONNECTION, request.toJson());

            RdmaHandshake h = RdmaHandshake.fromJson(reply, b.localSegmentName());
            assertThat(h.rejected()).as(h.replyMsg()).isFalse();
            assertThat(h.localNicPath()).isEqualTo(b.localSegmentName() + "@mlx5_1");
            assertThat(h.peerNicPath()).isEqualTo(a.localSegmentName() + "@mlx5_0");
            assertThat(h.qpNums()).hasSize(2);
        }
    }

    private static io.mooncake.engine.config.EngineConfig rdma() {
        return Engines.allTransports().protocol(InMemoryRdmaTransportProvider.PROTOCOL).disabledTransports("local,shm")
                .build();
    }
}
