package io.mooncake.engine.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.api.BatchResult;
import io.mooncake.engine.api.InvalidConfigurationException;
import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.SegmentHandle;
import io.mooncake.engine.api.TransferRequest;
import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.metadata.SegmentDescriptorCodec;
import io.mooncake.engine.stats.FailureKind;
import io.mooncake.engine.stats.TransferListener;
import io.mooncake.engine.testsupport.Engines;
import io.mooncake.engine.transport.flaky.FlakyTransportProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * What the transport SPI gives: an open protocol set, routing per request to the best transport
 * that reaches a target, and fallback to the next one when a transport fails.
 */
class TransportSpiTest {

    @Test
    void aProtocolServedByALoadedTransportIsAcceptedAndPublished() {
        try (MooncakeEngine e = MooncakeEngine.start(Engines.allTransports().protocol("flaky").build())) {
            assertThat(e.selection().primary()).isEqualTo("flaky");
            assertThat(e.selection().active()).contains("flaky", "tcp", "local");
            assertThat(e.localDescriptor().protocol()).isEqualTo("flaky");
        }
    }

    @Test
    void anUnknownProtocolIsRefusedNamingTheLoadedOnes() {
        assertThatThrownBy(() -> MooncakeEngine.start(Engines.loopback().protocol("warp_drive").build()))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("'warp_drive'")
                .hasMessageContaining("shm").hasMessageContaining("local").hasMessageContaining("flaky")
                .hasMessageContaining("tcp, rdma, efa");
    }

    @Test
    void aPeerDescriptorWithAProtocolNobodyKnowsIsKept() {
        String json = "{\"buffers\":[{\"addr\":4096,\"length\":8192,\"name\":\"n\",\"warp_key\":7}],\"name\":\"n\","
                + "\"protocol\":\"warp_drive\",\"tcp_data_port\":15001,\"tcp_proto_version\":2,"
                + "\"timestamp\":\"2026-12-02 00:00:00.000000\",\"warp_fabric\":{\"lanes\":4}}";
        SegmentDescriptor d = SegmentDescriptorCodec.decode(json);
        assertThat(d.protocol()).isEqualTo("warp_drive");
        assertThat(d.extra()).containsKey("warp_fabric");
        assertThat(d.buffers().get(0).extra()).containsKey("warp_key");
        assertThat(SegmentDescriptorCodec.encode(d)).isEqualTo(json);
    }

    @Test
    void aRequestAFailingTransportCarriedFallsBackToTcpWithTheReasonCounted() {
        List<String> fallbacks = new CopyOnWriteArrayList<>();
        TransferListener listener = new TransferListener() {
            @Override
            public void onTransfer(String protocol, String peer, OpCode op, long bytes, TransferState outcome,
                    long latencyNanos) {
            }

            @Override
            public void onFallback(String from, String to, String peer, FailureKind reason) {
                fallbacks.add(from + "->" + to + ":" + reason);
            }
        };
        // The initiator runs flaky (better than tcp by its own claim) and tcp; the target only tcp.
        try (MooncakeEngine initiator = MooncakeEngine.start(Engines.loopback().protocol("flaky").build(), listener);
                MooncakeEngine target = Engines.start()) {
            LocalBuffer local = initiator.allocateBuffer(1 << 20, "cpu:0");
            LocalBuffer remote = target.allocateBuffer(1 << 20, "cpu:0");
            remote.byteBuffer().put(300_000, (byte) 77);
            SegmentHandle peer = initiator.openSegment(target.localSegmentName());
            assertThat(initiator.peers().get(0).transport()).isEqualTo("flaky");
            int before = FlakyTransportProvider.SLICES.get();

            List<TransferRequest> reqs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                reqs.add(TransferRequest.read(local, i * 65536L, peer.buffer(0), i * 65536L, 65536));
            }
            BatchResult r = initiator.submit(reqs).await(Duration.ofSeconds(20));

            assertThat(r.allCompleted()).as("%s", r.statuses()).isTrue();
            assertThat(local.byteBuffer().get(300_000)).isEqualTo((byte) 77);
            assertThat(FlakyTransportProvider.SLICES.get() - before).isEqualTo(8);
            assertThat(fallbacks).hasSize(8).allMatch(f -> f.equals("flaky->tcp:CONNECTION"));
            assertThat(initiator.stats().fallbacks()).containsEntry("flaky->tcp:CONNECTION", 8L);
            assertThat(initiator.stats().counters("tcp", OpCode.READ).bytes()).isEqualTo(8 * 65536L);
            assertThat(initiator.stats().counters("flaky", OpCode.READ).bytes()).isZero();
        }
    }

    @Test
    void whenNoTransportIsLeftTheRequestFailsWithTheFirstReason() {
        // tcp is disabled: flaky is the only transport that reaches the peer, and it loses everything.
        try (MooncakeEngine initiator = MooncakeEngine.start(Engines.loopback().protocol("flaky")
                .disabledTransports("local,shm,tcp").build());
                MooncakeEngine target = Engines.start()) {
            LocalBuffer local = initiator.allocateBuffer(65536, "cpu:0");
            LocalBuffer remote = target.allocateBuffer(65536, "cpu:0");
            SegmentHandle peer = initiator.openSegment(target.localSegmentName());
            BatchResult r = initiator.submit(List.of(TransferRequest.write(local, 0, peer.buffer(0), 0, 65536)))
                    .await(Duration.ofSeconds(20));
            assertThat(r.statuses().get(0).state()).isEqualTo(TransferState.FAILED);
            assertThat(r.statuses().get(0).failureReason()).contains("flaky lost the slice");
            assertThat(remote.length()).isEqualTo(65536);
        }
    }
}
