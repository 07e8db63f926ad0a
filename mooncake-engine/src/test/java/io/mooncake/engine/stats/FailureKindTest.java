package io.mooncake.engine.stats;

import io.mooncake.engine.core.MooncakeEngine;
import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.api.BatchResult;
import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.SegmentHandle;
import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.api.TransferRequest;
import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.testsupport.Engines;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Every ended request reaches the listener and the engine's counters with the category of its failure. */
class FailureKindTest {

    record Ended(String protocol, OpCode op, TransferState outcome, FailureKind failure) {
    }

    static final class Recording implements TransferListener {
        final List<Ended> ended = new CopyOnWriteArrayList<>();

        @Override
        public void onTransfer(String protocol, String peer, OpCode op, long bytes, TransferState outcome,
                long latencyNanos) {
            throw new AssertionError("the engine must call the form with the failure category");
        }

        @Override
        public void onTransfer(String protocol, String peer, OpCode op, long bytes, TransferState outcome,
                FailureKind failure, long latencyNanos) {
            ended.add(new Ended(protocol, op, outcome, failure));
        }
    }

    @Test
    void completedRequestsReportNone() {
        Recording listener = new Recording();
        try (MooncakeEngine e = MooncakeEngine.start(Engines.allTransports().build(), listener)) {
            LocalBuffer a = e.allocateBuffer(4096, "cpu:0");
            LocalBuffer b = e.allocateBuffer(4096, "cpu:0");
            e.transferSyncWrite(e.localSegmentName(), a.address(), b.address(), 16);
            assertThat(listener.ended).containsExactly(new Ended("local", OpCode.WRITE, TransferState.COMPLETED,
                    FailureKind.NONE));
            assertThat(e.stats().counters("local", OpCode.WRITE).failures(FailureKind.NONE)).isEqualTo(1);
        }
    }

    @Test
    void localCopyIntoMemoryPeersMayNotTouchIsNotFound() {
        Recording listener = new Recording();
        try (MooncakeEngine e = MooncakeEngine.start(Engines.allTransports().build(), listener)) {
            LocalBuffer src = e.allocateBuffer(4096, "cpu:0");
            LocalBuffer hidden = e.registerBuffer(ByteBuffer.allocateDirect(64), "cpu:0", false);
            BatchResult r = e.submit(List.of(new TransferRequest(OpCode.WRITE, src.address(), 0, hidden.address(), 8)))
                .await(Duration.ofSeconds(5));
            assertThat(r.statuses().get(0).state()).isEqualTo(TransferState.FAILED);
            assertThat(listener.ended).containsExactly(new Ended("local", OpCode.WRITE, TransferState.FAILED,
                    FailureKind.NOT_FOUND));
            assertThat(e.stats().counters("local", OpCode.WRITE).failures(FailureKind.NOT_FOUND)).isEqualTo(1);
        }
    }

    @Test
    void targetRangeOutsideThePeersBuffersIsNotFound() {
        Recording listener = new Recording();
        try (MooncakeEngine a = MooncakeEngine.start(Engines.loopback().build(), listener);
                MooncakeEngine b = Engines.start()) {
            LocalBuffer local = a.allocateBuffer(4096, "cpu:0");
            LocalBuffer remote = b.allocateBuffer(4096, "cpu:0");
            SegmentHandle peer = a.openSegment(b.localSegmentName());
            BatchResult r = a.submit(List.of(new TransferRequest(OpCode.READ, local.address(), peer.id(),
                    remote.address() + 4000, 200))).await(Duration.ofSeconds(5));
            assertThat(r.statuses().get(0).state()).isEqualTo(TransferState.FAILED);
            assertThat(listener.ended).containsExactly(new Ended("tcp", OpCode.READ, TransferState.FAILED,
                    FailureKind.NOT_FOUND));
        }
    }

    @Test
    void peerThatWentAwayIsAConnectionFailure() {
        Recording listener = new Recording();
        try (MooncakeEngine a = MooncakeEngine.start(Engines.loopback().transferTimeout(Duration.ofSeconds(5))
                .build(), listener)) {
            LocalBuffer local = a.allocateBuffer(4096, "cpu:0");
            SegmentHandle peer;
            long remoteAddress;
            try (MooncakeEngine b = Engines.start()) {
                remoteAddress = b.allocateBuffer(4096, "cpu:0").address();
                peer = a.openSegment(b.localSegmentName());
            }
            BatchResult r = a.submit(List.of(new TransferRequest(OpCode.WRITE, local.address(), peer.id(),
                    remoteAddress, 64))).await(Duration.ofSeconds(10));
            assertThat(r.statuses().get(0).state()).isEqualTo(TransferState.FAILED);
            assertThat(listener.ended).extracting(Ended::failure).containsExactly(FailureKind.CONNECTION);
            assertThat(a.stats().counters("tcp", OpCode.WRITE).failures(FailureKind.CONNECTION)).isEqualTo(1);
        }
    }

    @Test
    void compositeTellsEveryListenerInOrderWithTheCategory() {
        Recording first = new Recording();
        Recording second = new Recording();
        TransferListener both = TransferListener.of(List.of(first, second));
        both.onTransfer("tcp", "peer", OpCode.READ, 10, TransferState.TIMEOUT, FailureKind.TIMEOUT, 5);
        both.onTransfer("tcp", "peer", OpCode.READ, 10, TransferState.CANCELED, 5);
        List<Ended> expected = List.of(new Ended("tcp", OpCode.READ, TransferState.TIMEOUT, FailureKind.TIMEOUT),
                new Ended("tcp", OpCode.READ, TransferState.CANCELED, FailureKind.CANCELED));
        assertThat(first.ended).isEqualTo(expected);
        assertThat(second.ended).isEqualTo(expected);
        assertThat(TransferListener.of(List.of(first))).isSameAs(first);
    }

    @Test
    void statsCountFailuresByCategoryAndBytesOfCompletedRequestsOnly() {
        TransferStats stats = new TransferStats();
        stats.submitted();
        stats.submitted();
        stats.onTransfer("tcp", "p", OpCode.WRITE, 100, TransferState.COMPLETED, FailureKind.NONE, 1);
        stats.onTransfer("tcp", "p", OpCode.WRITE, 100, TransferState.FAILED, FailureKind.PEER_REJECTED, 1);
        TransferStats.Counters c = stats.counters("tcp", OpCode.WRITE);
        assertThat(c.bytes()).isEqualTo(100);
        assertThat(c.failures(FailureKind.PEER_REJECTED)).isEqualTo(1);
        assertThat(c.requests(TransferState.FAILED)).isEqualTo(1);
        assertThat(stats.inFlight()).isZero();
    }
}
