package io.mooncake.engine.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.api.BatchResult;
import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.SegmentHandle;
import io.mooncake.engine.api.SegmentNotFoundException;
import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.api.TransferRequest;
import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.testsupport.Engines;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bad arguments fail fast with messages naming the value and the valid choices; bad targets touch nothing. */
class BadInputTest {

    private static MooncakeEngine a;
    private static MooncakeEngine b;
    private static LocalBuffer local;
    private static LocalBuffer remote;
    private static SegmentHandle seg;

    @BeforeAll
    static void start() {
        a = Engines.start();
        b = Engines.start();
        local = a.allocateBuffer(1 << 16, "cpu:0");
        remote = b.allocateBuffer(1 << 16, "cpu:0");
        seg = a.openSegment(b.localSegmentName());
    }

    @AfterAll
    static void stop() {
        a.close();
        b.close();
    }

    @Test
    void unknownProtocolNamesTheValueAndTheTenValidOnes() {
        assertThatThrownBy(() -> MooncakeEngine.initialize("127.0.0.1", "P2PHANDSHAKE", "infiniband", ""))
                .isInstanceOf(MooncakeException.class)
                .hasMessageContaining("'infiniband'")
                .hasMessageContaining("tcp, rdma, efa, nvmeof, nvlink, nvlink_intra, hip, barex, cxl, ascend");
    }

    @Test
    void unknownMetadataSchemeListsTheSupportedForms() {
        assertThatThrownBy(() -> MooncakeEngine.initialize("127.0.0.1", "zk://host:2181", "tcp", ""))
                .hasMessageContaining("zk://host:2181").hasMessageContaining("P2PHANDSHAKE")
                .hasMessageContaining("etcd://").hasMessageContaining("redis://");
    }

    @Test
    void negativeLengthIsRejected() {
        assertThatThrownBy(() -> new TransferRequest(OpCode.WRITE, local.address(), seg.id(), 0, -1))
                .isInstanceOf(MooncakeException.class).hasMessageContaining("-1");
    }

    @Test
    void unregisteredSourceBufferIsRejectedBeforeAnythingIsSent() {
        ByteBuffer unregistered = ByteBuffer.allocateDirect(64);
        long addr = io.mooncake.engine.memory.NativeMemory.addressOf(unregistered);
        assertThatThrownBy(() -> a.submit(List.of(new TransferRequest(OpCode.WRITE, addr, seg.id(),
                seg.buffer(0).address(), 64))))
                .isInstanceOfSatisfying(MooncakeException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.ADDRESS_NOT_REGISTERED))
                .hasMessageContaining("registerLocalMemory");
    }

    @Test
    void overlappingRegistrationIsRejectedNamingBothRanges() {
        assertThatThrownBy(() -> a.registerLocalMemory(local.address() + 100, 10, "cpu:0"))
                .isInstanceOfSatisfying(MooncakeException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.ADDRESS_OVERLAPPED))
                .hasMessageContaining("overlaps");
    }

    @Test
    void zeroLengthRegistrationIsRejected() {
        assertThatThrownBy(() -> a.registerLocalMemory(local.address() + (1 << 16) + 4096, 0, "cpu:0"))
                .hasMessageContaining("length 0");
    }

    @Test
    void safeApiChecksRemoteBoundsBeforeSending() {
        assertThatThrownBy(() -> TransferRequest.write(local, 0, seg.buffer(0), (1 << 16) - 8, 16))
                .hasMessageContaining("outside the remote buffer");
        assertThatThrownBy(() -> TransferRequest.write(local, -1, seg.buffer(0), 0, 16))
                .hasMessageContaining("outside the local buffer");
    }

    @Test
    void rawTargetOutsidePublishedBuffersEndsFailedAndTouchesNothing() {
        byte[] before = contents(remote);
        long outside = seg.buffer(0).address() + (1 << 16) - 8;
        BatchResult r = a.submit(List.of(new TransferRequest(OpCode.WRITE, local.address(), seg.id(), outside, 16)))
                .await(Duration.ofSeconds(5));
        assertThat(r.statuses().get(0).state()).isEqualTo(TransferState.FAILED);
        assertThat(r.statuses().get(0).failureReason()).contains("not inside any buffer");
        assertThat(contents(remote)).isEqualTo(before);
    }

    @Test
    void staleDescriptorIsRejectedByThePeerAndTouchesNothing() throws Exception {
        LocalBuffer extra = b.allocateBuffer(4096, "cpu:0");
        a.closeSegment(seg.id());
        SegmentHandle fresh = a.openSegment(b.localSegmentName());
        // a's cached descriptor now lists 'extra'; b withdraws it.
        long extraAddress = extra.address();
        assertThat(fresh.buffers()).anyMatch(x -> x.address() == extraAddress);
        ByteBuffer keep = ByteBuffer.allocateDirect(4096);
        extra.close();
        LocalBuffer localOnly = b.registerBuffer(keep, "cpu:0", false);
        byte[] before = contents(remote);
        BatchResult r = a.submit(List.of(new TransferRequest(OpCode.WRITE, local.address(), fresh.id(),
                extraAddress, 16))).await(Duration.ofSeconds(5));
        assertThat(r.statuses().get(0).state()).isEqualTo(TransferState.FAILED);
        assertThat(r.statuses().get(0).failureReason()).contains("rejected");
        assertThat(a.stats().counters("tcp", OpCode.WRITE).failures(io.mooncake.engine.stats.FailureKind.PEER_REJECTED))
                .isEqualTo(1);
        assertThat(contents(remote)).isEqualTo(before);
        localOnly.close();
    }

    @Test
    void unknownSegmentIdIsRejected() {
        assertThatThrownBy(() -> a.submit(List.of(new TransferRequest(OpCode.READ, local.address(), 999, 0, 1))))
                .hasMessageContaining("segment id 999");
    }

    @Test
    void unreachableSegmentNameSaysHowItWasLookedUp() {
        assertThatThrownBy(() -> a.openSegment("127.0.0.1:1"))
                .isInstanceOf(SegmentNotFoundException.class).hasMessageContaining("127.0.0.1:1")
                .hasMessageContaining("handshake port");
    }

    @Test
    void configurationValuesAreCheckedWithTheirValidRange() {
        assertThatThrownBy(() -> EngineConfig.builder().connectionsPerPeer(0).build())
                .hasMessageContaining("connectionsPerPeer").hasMessageContaining("1..64");
        assertThatThrownBy(() -> EngineConfig.builder().transferTimeout(Duration.ZERO).build())
                .hasMessageContaining("transferTimeout");
        assertThatThrownBy(() -> EngineConfig.builder().handshakePort(70000).build())
                .hasMessageContaining("handshakePort").hasMessageContaining("70000");
    }

    @Test
    void portInUseIsReported() {
        int taken = a.rpcPort();
        assertThatThrownBy(() -> MooncakeEngine.start(Engines.loopback().handshakePort(taken).build()))
                .hasMessageContaining(String.valueOf(taken)).hasMessageContaining("in use");
    }

    @Test
    void freeBatchWhileRunningIsBusyAndUnknownBatchIsRejected() {
        assertThatThrownBy(() -> a.freeBatchId(123456)).hasMessageContaining("123456");
        assertThatThrownBy(() -> a.allocateBatchId(0)).hasMessageContaining("batch size 0");
    }

    @Test
    void closedEngineRefusesWork() {
        MooncakeEngine e = Engines.start();
        e.close();
        assertThatThrownBy(() -> e.allocateBuffer(16, "cpu:0")).hasMessageContaining("closed");
    }

    private static byte[] contents(LocalBuffer buf) {
        byte[] all = new byte[(int) buf.length()];
        buf.byteBuffer().get(0, all);
        return Arrays.copyOf(all, all.length);
    }
}
