package io.mooncake.engine.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.mooncake.engine.api.BatchResult;
import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.Notify;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.SegmentHandle;
import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.api.TransferRequest;
import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.stats.TransferStats;
import io.mooncake.engine.testsupport.Engines;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The reference-style calls, notifications, probes and the same-process shortcut. */
class EngineApiTest {

    @Test
    void initializeWithTheFourPythonArgumentsNamesTheSegmentHostAndListenerPort() {
        try (MooncakeEngine e = MooncakeEngine.initialize("127.0.0.1", "P2PHANDSHAKE", "tcp", "")) {
            assertThat(e.localSegmentName()).isEqualTo("127.0.0.1:" + e.rpcPort());
            assertThat(e.rpcPort()).isBetween(15000, 17000);
            assertThat(e.selection().primary()).isEqualTo("tcp");
            assertThat(e.localDescriptor().tcpProtoVersion()).isEqualTo(2);
        }
    }

    @Test
    void configuredHandshakePortIsHonoured() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (MooncakeEngine e = MooncakeEngine.start(Engines.loopback().localHostname("127.0.0.1:" + port).build())) {
            assertThat(e.rpcPort()).isEqualTo(port);
            assertThat(e.localSegmentName()).isEqualTo("127.0.0.1:" + port);
        }
    }

    @Test
    void notificationsAreDeliveredAndDrainedOnce() {
        try (MooncakeEngine a = Engines.start(); MooncakeEngine b = Engines.start()) {
            a.sendNotify(b.localSegmentName(), "kv-block 42 ready");
            a.sendNotify(b.localSegmentName(), "second");
            assertThat(b.getNotifies()).containsExactly(new Notify(a.localSegmentName(), "kv-block 42 ready"),
                    new Notify(a.localSegmentName(), "second"));
            assertThat(b.getNotifies()).isEmpty();
        }
    }

    @Test
    void probeTellsLiveFromDeadPeers() {
        try (MooncakeEngine a = Engines.start()) {
            MooncakeEngine b = Engines.start();
            String name = b.localSegmentName();
            assertThat(a.probe(name)).isTrue();
            b.close();
            assertThat(a.probe(name)).isFalse();
        }
    }

    @Test
    void ownSegmentIsCopiedInProcessAndStillBoundsChecked() {
        try (MooncakeEngine e = MooncakeEngine.start(Engines.allTransports().build())) {
            LocalBuffer src = e.allocateBuffer(8192, "cpu:0");
            LocalBuffer dst = e.allocateBuffer(8192, "cpu:0");
            src.byteBuffer().put(0, "same process".getBytes());
            SegmentHandle self = e.openSegment(e.localSegmentName());
            assertThat(self.id()).isZero();
            e.transferSyncWrite(e.localSegmentName(), src.address(), dst.address() + 10, 12);
            byte[] got = new byte[12];
            dst.byteBuffer().get(10, got);
            assertThat(new String(got)).isEqualTo("same process");
            assertThat(e.stats().counters("local", OpCode.WRITE).requests(TransferState.COMPLETED)).isEqualTo(1);

            LocalBuffer hidden = e.registerBuffer(ByteBuffer.allocateDirect(64), "cpu:0", false);
            BatchResult r = e.submit(List.of(new TransferRequest(OpCode.WRITE, src.address(), 0, hidden.address(),
                    8))).await(Duration.ofSeconds(5));
            assertThat(r.statuses().get(0).state()).isEqualTo(TransferState.FAILED);
        }
    }

    @Test
    void batchSyncFormsAndStatsCountBytesByProtocolAndOutcome() {
        try (MooncakeEngine a = Engines.start(); MooncakeEngine b = Engines.start()) {
            LocalBuffer la = a.allocateBuffer(1 << 16, "cpu:0");
            LocalBuffer lb = b.allocateBuffer(1 << 16, "cpu:0");
            lb.byteBuffer().put(0, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
            a.batchTransferSync(b.localSegmentName(), OpCode.READ, new long[] {la.address(), la.address() + 100},
                    new long[] {lb.address(), lb.address() + 4}, new long[] {4, 4});
            byte[] got = new byte[4];
            la.byteBuffer().get(100, got);
            assertThat(got).containsExactly(5, 6, 7, 8);
            TransferStats.Counters c = a.stats().counters("tcp", OpCode.READ);
            assertThat(c.bytes()).isEqualTo(8);
            assertThat(c.requests(TransferState.COMPLETED)).isEqualTo(2);
            assertThat(a.stats().inFlight()).isZero();
            assertThatThrownBy(() -> a.batchTransferSync(b.localSegmentName(), OpCode.READ, new long[] {1},
                    new long[] {}, new long[] {1})).hasMessageContaining("must be non-empty and equal");
        }
    }

    @Test
    void operatorViewsListMemoryPeersAndTransports() {
        try (MooncakeEngine a = Engines.start(); MooncakeEngine b = Engines.start()) {
            LocalBuffer remote = a.allocateBuffer(8192, "cpu:0");
            LocalBuffer local = a.registerBuffer(ByteBuffer.allocateDirect(4096), "cpu:1", false);
            assertThat(a.registeredMemory()).extracting(m -> m.location() + ":" + m.remoteAccessible())
                    .containsExactlyInAnyOrder("cpu:0:true", "cpu:1:false");
            b.allocateBuffer(1 << 20, "cpu:0");
            a.openSegment(b.localSegmentName());
            assertThat(a.peers()).singleElement().satisfies(p -> {
                assertThat(p.name()).isEqualTo(b.localSegmentName());
                assertThat(p.protocol()).isEqualTo("tcp");
                assertThat(p.bytesPublished()).isEqualTo(1 << 20);
                assertThat(p.stale()).isFalse();
            });
            assertThat(a.transportStats().get("tcp")).containsEntry("dataPort", a.localDescriptor().tcpDataPort());
            assertThat(a.metadataDescription()).isEqualTo("P2PHANDSHAKE");
            remote.close();
            local.close();
        }
    }

    @Test
    void mcTeMetricLogsAThroughputLineEveryInterval() throws Exception {
        java.io.PrintStream original = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try (MooncakeEngine e = MooncakeEngine.start(Engines.loopback().environment(
                java.util.Map.of("MC_TE_METRIC", "1", "MC_TE_METRIC_INTERVAL_SECONDS", "1")).build())) {
            // the first line comes after one interval (1 s); waiting is bounded generously, not timed
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(captured.toString(java.nio.charset.StandardCharsets.UTF_8))
                            .contains("Transfer engine throughput: ").contains("requests completed"));
        } finally {
            System.setErr(original);
        }
    }

    @Test
    void managedBuffersArePublishedAndFreedByExactLength() {
        try (MooncakeEngine e = Engines.start()) {
            long addr = e.allocateManagedBuffer(4096);
            assertThat(e.localDescriptor().buffers()).anyMatch(b -> b.addr() == addr && b.length() == 4096);
            assertThatThrownBy(() -> e.freeManagedBuffer(addr, 100)).hasMessageContaining("its length is 4096");
            e.freeManagedBuffer(addr, 4096);
            assertThat(e.localDescriptor().buffers()).noneMatch(b -> b.addr() == addr);
        }
    }

    @Test
    void closeWaitsForRunningTransfersThenWithdraws() throws Exception {
        MooncakeEngine a = Engines.start();
        try (MooncakeEngine b = Engines.start()) {
            LocalBuffer la = a.allocateBuffer(32 << 20, "cpu:0");
            b.allocateBuffer(32 << 20, "cpu:0");
            SegmentHandle h = a.openSegment(b.localSegmentName());
            var batch = a.submit(List.of(TransferRequest.write(la, 0, h.buffer(0), 0, 32 << 20)));
            a.close();
            assertThat(batch.completion().get().statuses().get(0).state()).isEqualTo(TransferState.COMPLETED);
            assertThat(b.probe(a.localSegmentName())).isFalse();
        }
    }
}
