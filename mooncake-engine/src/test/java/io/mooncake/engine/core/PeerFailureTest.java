package io.mooncake.engine.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.api.Batch;
import io.mooncake.engine.api.BatchResult;
import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.SegmentHandle;
import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.api.TransferRequest;
import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.api.TransferStatus;
import io.mooncake.engine.testsupport.ChildProcess;
import io.mooncake.engine.testsupport.Engines;
import io.mooncake.engine.testsupport.FakeReferenceNode;
import io.mooncake.engine.testsupport.TargetMain;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Peers that die or stop answering: every request still ends, within its deadline. */
class PeerFailureTest {

    @Test
    void submitWhenPeerProcessIsKilledMidBatchShouldFailWithinDeadlineAndKeepServingOthers() throws Exception {
        try (MooncakeEngine engine = MooncakeEngine.start(Engines.loopback()
                .transferTimeout(Duration.ofSeconds(15)).build());
                MooncakeEngine other = Engines.start();
                ChildProcess child = ChildProcess.start(TargetMain.class, String.valueOf(64 << 20))) {
            LocalBuffer local = engine.allocateBuffer(64 << 20, "cpu:0");
            SegmentHandle peer = engine.openSegment(child.field(0));
            long remote = Long.parseLong(child.field(1));
            List<TransferRequest> reqs = new ArrayList<>();
            for (int i = 0; i < 4000; i++) {
                long off = (long) (i % 64) << 20;
                reqs.add(new TransferRequest(OpCode.WRITE, local.address() + off, peer.id(), remote + off, 1 << 20));
            }
            long start = System.nanoTime();
            Batch batch = engine.submit(reqs);
            Thread.sleep(150);
            child.kill();
            BatchResult result = batch.await(Duration.ofSeconds(30));
            long tookMillis = (System.nanoTime() - start) / 1_000_000;

            assertThat(result.statuses()).allMatch(s -> s.state().isTerminal());
            List<TransferStatus> failed = result.statuses().stream()
                    .filter(s -> s.state() == TransferState.FAILED).toList();
            assertThat(failed).as("requests still running when the peer died").isNotEmpty();
            assertThat(failed.get(0).failureReason()).contains(child.field(0));
            assertThat(tookMillis).as("failure is reported by the connection, long before the 15 s deadline")
                    .isLessThan(10_000);

            // The engine keeps serving other peers.
            LocalBuffer theirs = other.allocateBuffer(4096, "cpu:0");
            SegmentHandle ok = engine.openSegment(other.localSegmentName());
            BatchResult good = engine.submit(List.of(TransferRequest.write(local, 0, ok.buffer(0), 0, 4096)))
                    .await(Duration.ofSeconds(10));
            assertThat(good.allCompleted()).isTrue();
            assertThat(theirs.length()).isEqualTo(4096);
        }
    }

    @Test
    void p2pPeerRestartedOnItsHandshakePortIsReResolvedAndGetsTheData() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (MooncakeEngine engine = Engines.start()) {
            LocalBuffer local = engine.allocateBuffer(4096, "cpu:0");
            String name;
            try (ChildProcess first = ChildProcess.start(TargetMain.class, "65536", String.valueOf(port))) {
                name = first.field(0);
                engine.transferSyncWrite(name, local.address(), Long.parseLong(first.field(1)), 16);
            }
            try (ChildProcess second = ChildProcess.start(TargetMain.class, "65536", String.valueOf(port))) {
                assertThat(second.field(0)).isEqualTo(name);
                long address = Long.parseLong(second.field(1));
                local.byteBuffer().put(0, "to the new peer!".getBytes());
                engine.transferSyncWrite(name, local.address(), address, 16);
                engine.transferSyncRead(name, local.address() + 100, address, 16);
                byte[] back = new byte[16];
                local.byteBuffer().get(100, back);
                assertThat(new String(back)).isEqualTo("to the new peer!");
            }
        }
    }

    @Test
    void requestToASilentPeerEndsTimeoutAtTheDeadline() throws Exception {
        try (MooncakeEngine engine = MooncakeEngine.start(Engines.loopback()
                .transferTimeout(Duration.ofMillis(700)).build());
                FakeReferenceNode peer = new FakeReferenceNode(1L << 40, 4096, 2).silent()) {
            LocalBuffer local = engine.allocateBuffer(4096, "cpu:0");
            SegmentHandle h = engine.openSegment(peer.segmentName());
            long start = System.nanoTime();
            BatchResult r = engine.submit(List.of(new TransferRequest(OpCode.WRITE, local.address(), h.id(),
                    1L << 40, 128))).completion().get();
            long took = (System.nanoTime() - start) / 1_000_000;
            assertThat(r.statuses().get(0).state()).isEqualTo(TransferState.TIMEOUT);
            assertThat(r.statuses().get(0).failureReason()).contains("700 ms");
            assertThat(took).isBetween(600L, 5000L);
        }
    }

    @Test
    void timedOutRequestReleasesItsLocalMemoryForFreeing() throws Exception {
        try (MooncakeEngine engine = MooncakeEngine.start(Engines.loopback()
                .transferTimeout(Duration.ofMillis(500)).build());
                FakeReferenceNode peer = new FakeReferenceNode(1L << 40, 1 << 20, 2).silent()) {
            long addr = engine.allocateManagedBuffer(1 << 20);
            SegmentHandle h = engine.openSegment(peer.segmentName());
            BatchResult r = engine.submit(List.of(new TransferRequest(OpCode.READ, addr, h.id(), 1L << 40, 1 << 20)))
                    .completion().get();
            assertThat(r.statuses().get(0).state()).isEqualTo(TransferState.TIMEOUT);
            // The read's slices were abandoned with the connection: nothing can still write into addr.
            long start = System.nanoTime();
            engine.freeManagedBuffer(addr, 1 << 20);
            assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(400);
        }
    }

    @Test
    void cancelEndsRunningRequestsCanceled() throws Exception {
        try (MooncakeEngine engine = Engines.start();
                FakeReferenceNode peer = new FakeReferenceNode(1L << 40, 4096, 2).silent()) {
            LocalBuffer local = engine.allocateBuffer(4096, "cpu:0");
            SegmentHandle h = engine.openSegment(peer.segmentName());
            Batch b = engine.submit(List.of(new TransferRequest(OpCode.READ, local.address(), h.id(), 1L << 40, 64)));
            Thread.sleep(100);
            assertThat(b.status(0).state()).isEqualTo(TransferState.PENDING);
            b.cancel();
            BatchResult r = b.completion().get();
            assertThat(r.statuses().get(0).state()).isEqualTo(TransferState.CANCELED);
        }
    }

    @Test
    void peerThatIsNotListeningFailsFastWithItsAddress() throws Exception {
        try (MooncakeEngine engine = Engines.start()) {
            MooncakeEngine gone = Engines.start();
            String name = gone.localSegmentName();
            gone.allocateBuffer(4096, "cpu:0");
            SegmentHandle h = engine.openSegment(name);
            gone.close();
            LocalBuffer local = engine.allocateBuffer(4096, "cpu:0");
            BatchResult r = engine.submit(List.of(TransferRequest.write(local, 0, h.buffer(0), 0, 16)))
                    .await(Duration.ofSeconds(10));
            assertThat(r.statuses().get(0).state()).isEqualTo(TransferState.FAILED);
            assertThat(r.statuses().get(0).failureReason()).contains(name);
        }
    }
}
