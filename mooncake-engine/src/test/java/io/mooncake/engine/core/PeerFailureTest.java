package io.mooncake.engine.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.awaitility.Awaitility.await;

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
import java.util.concurrent.TimeUnit;
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
            Batch batch = engine.submit(reqs);
            // kill it once the batch is moving
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(1))
                    .until(() -> batch.status(0).state().isTerminal());
            child.kill();
            // the batch's own completion, not await(): an expiring wait would end requests TIMEOUT itself
            BatchResult result = batch.completion().get(60, TimeUnit.SECONDS);

            assertThat(result.statuses()).allMatch(s -> s.state().isTerminal());
            List<TransferStatus> failed = result.statuses().stream()
                    .filter(s -> s.state() == TransferState.FAILED).toList();
            assertThat(failed).as("requests still running when the peer died").isNotEmpty();
            // FAILED naming the peer, not TIMEOUT: the connection reported the death, not the 15 s deadline
            assertThat(result.statuses()).noneMatch(s -> s.state() == TransferState.TIMEOUT);
            assertThat(failed.get(0).failureReason()).contains(child.field(0));

            // The engine keeps serving other peers: the bytes arrive there.
            LocalBuffer theirs = other.allocateBuffer(4096, "cpu:0");
            byte[] data = new byte[4096];
            new java.util.Random(61).nextBytes(data);
            local.byteBuffer().put(0, data);
            SegmentHandle ok = engine.openSegment(other.localSegmentName());
            BatchResult good = engine.submit(List.of(TransferRequest.write(local, 0, ok.buffer(0), 0, 4096)))
                    .await(Duration.ofSeconds(10));
            assertThat(good.allCompleted()).isTrue();
            byte[] arrived = new byte[4096];
            theirs.byteBuffer().get(0, arrived);
            assertThat(arrived).isEqualTo(data);
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
            BatchResult r = engine.submit(List.of(new TransferRequest(OpCode.WRITE, local.address(), h.id(),
                    1L << 40, 128))).completion().get(60, TimeUnit.SECONDS);
            assertThat(r.statuses().get(0).state()).isEqualTo(TransferState.TIMEOUT);
            // the batch's deadline ended it: 700 ms transfer timeout plus 1 ns per byte
            assertThat(r.statuses().get(0).failureReason()).contains("no completion within 700 ms");
            assertThat(peer.headers).as("the request reached the silent peer").isNotEmpty();
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
                    .completion().get(60, TimeUnit.SECONDS);
            assertThat(r.statuses().get(0).state()).isEqualTo(TransferState.TIMEOUT);
            // The read's slices were abandoned with the connection: nothing can still write into addr, so
            // freeing it does not wait out the registry's 30 s grace and fail BATCH_BUSY.
            assertThatCode(() -> engine.freeManagedBuffer(addr, 1 << 20)).doesNotThrowAnyException();
            assertThat(engine.registeredMemory()).noneMatch(m -> m.address() == addr);
        }
    }

    @Test
    void cancelEndsRunningRequestsCanceled() throws Exception {
        try (MooncakeEngine engine = Engines.start();
                FakeReferenceNode peer = new FakeReferenceNode(1L << 40, 4096, 2).silent()) {
            LocalBuffer local = engine.allocateBuffer(4096, "cpu:0");
            SegmentHandle h = engine.openSegment(peer.segmentName());
            Batch b = engine.submit(List.of(new TransferRequest(OpCode.READ, local.address(), h.id(), 1L << 40, 64)));
            await().atMost(Duration.ofSeconds(30)).until(() -> !peer.headers.isEmpty());
            assertThat(b.status(0).state()).as("on the wire, unanswered").isEqualTo(TransferState.PENDING);
            b.cancel();
            BatchResult r = b.completion().get(60, TimeUnit.SECONDS);
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
