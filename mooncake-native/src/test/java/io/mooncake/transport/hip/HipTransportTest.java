package io.mooncake.transport.hip;

import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.api.Batch;
import io.mooncake.engine.api.BatchResult;
import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.RemoteBuffer;
import io.mooncake.engine.api.TransferRequest;
import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.metadata.BufferDescriptor;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.testsupport.Engines;
import io.mooncake.engine.transport.contract.Pattern;
import io.mooncake.testing.HipTestDouble;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@code hip} transport's own behaviour over the HIP TEST DOUBLE ({@link HipTestDouble}, which
 * stands for AMD GPUs: they cannot exist on this machine): what it publishes, that a peer
 * allocation is opened once, deadlines and cancel while the simulated GPU stalls, and runtime
 * errors named in the request's reason. Two engines of this JVM, same-host transports off.
 */
class HipTransportTest {

    private static final int MIB = 1 << 20;

    private HipTestDouble.Gpus gpus;
    private HipPeer peer;
    private MooncakeEngine initiator;
    private LocalBuffer local;

    @BeforeEach
    void start() {
        gpus = HipDouble.activate(1);
        peer = HipPeer.start(config().build(), gpus.process(), 32L * MIB);
    }

    @AfterEach
    void stop() {
        gpus.resume();
        if (local != null) {
            local.close();
        }
        if (initiator != null) {
            initiator.close();
        }
        peer.close();
        HipDouble.deactivate(gpus);
    }

    private static EngineConfig.Builder config() {
        return Engines.allTransports().protocol(HipDouble.PROTOCOL).disabledTransports("local,shm");
    }

    private RemoteBuffer remote(Duration timeout) {
        initiator = MooncakeEngine.start(config().transferTimeout(timeout).build());
        local = initiator.allocateBuffer(32L * MIB, "cpu:0");
        return initiator.openSegment(peer.segmentName()).buffer(0);
    }

    private static BatchResult end(Batch b) throws Exception {
        return b.completion().get(60, TimeUnit.SECONDS);
    }

    @Test
    void deviceBuffersArePublishedWithTheirIpcHandleAsUppercaseHexAndTheirLocationAsName() {
        SegmentDescriptor d = peer.engine().localDescriptor();

        assertThat(d.protocol()).isEqualTo(HipDouble.PROTOCOL);
        assertThat(d.buffers()).hasSize(1);
        BufferDescriptor b = d.buffers().get(0);
        assertThat(b.name()).isEqualTo("hip:0");
        assertThat(b.addr()).isEqualTo(peer.bufferAddress());
        assertThat(b.length()).isEqualTo(32L * MIB);
        assertThat(b.shmName()).hasSize(128).matches("[0-9A-F]{128}");
        assertThat(d.extra()).containsKey(HipTransport.BOOT_ID);
    }

    @Test
    void aPeerAllocationIsOpenedOnceForManyRequestsAndClosedWithTheEngine() throws Exception {
        RemoteBuffer remote = remote(Duration.ofSeconds(20));
        long seed = 42;
        Pattern.fill(local.byteBuffer(), 0, 20L * MIB, seed);

        for (int i = 0; i < 5; i++) {
            BatchResult r = end(initiator.submit(List.of(TransferRequest.write(local, 0, remote, 0, 20L * MIB),
                    TransferRequest.read(local, 24L * MIB, remote, 7, 3))));
            assertThat(r.statuses()).allMatch(s -> s.state() == TransferState.COMPLETED);
        }
        peer.verify(0, 20L * MIB, seed);

        assertThat(gpus.opens()).as("hipIpcOpenMemHandle calls").isEqualTo(1);
        assertThat(initiator.stats().counters(HipDouble.PROTOCOL, io.mooncake.engine.api.OpCode.WRITE).bytes())
                .isEqualTo(100L * MIB);
        initiator.close();
        initiator = null;
        assertThat(gpus.closes()).as("hipIpcCloseMemHandle calls").isEqualTo(1);
    }

    @Test
    void aStalledGpuEndsRequestsTimeoutAtTheDeadlineThenTheEngineWorksAgain() throws Exception {
        RemoteBuffer remote = remote(Duration.ofSeconds(1));
        gpus.stall();

        BatchResult r = end(initiator.submit(List.of(TransferRequest.write(local, 0, remote, 0, 24L * MIB))));

        assertThat(r.statuses().get(0).state()).isEqualTo(TransferState.TIMEOUT);
        gpus.resume();
        long seed = 7;
        Pattern.fill(local.byteBuffer(), 0, MIB, seed);
        BatchResult after = end(initiator.submit(List.of(TransferRequest.write(local, 0, remote, MIB, MIB))));
        assertThat(after.statuses().get(0).state()).isEqualTo(TransferState.COMPLETED);
        peer.verify(MIB, MIB, seed);
    }

    @Test
    void cancelEndsRequestsCanceledAndSlicesNotYetPostedAreDropped() throws Exception {
        RemoteBuffer remote = remote(Duration.ofSeconds(20));
        gpus.stall();
        Batch b = initiator.submit(List.of(TransferRequest.write(local, 0, remote, 0, 32L * MIB),
                TransferRequest.read(local, 0, remote, 0, 4096)));

        b.cancel();
        BatchResult r = end(b);

        assertThat(r.statuses()).allSatisfy(s -> {
            assertThat(s.state()).isEqualTo(TransferState.CANCELED);
            assertThat(s.failureReason()).isNotBlank();
        });
        gpus.resume();
        // slices the lanes had posted before the cancel still land (the engine promises only that slices not
        // yet sent are dropped): let them, before reusing their range
        gpus.awaitCopies();
        long seed = 11;
        Pattern.fill(local.byteBuffer(), 0, MIB, seed);
        BatchResult after = end(initiator.submit(List.of(TransferRequest.write(local, 0, remote, 3, MIB))));
        assertThat(after.statuses().get(0).state()).isEqualTo(TransferState.COMPLETED);
        peer.verify(3, MIB, seed);
    }

    @Test
    void aHandleTheRuntimeCannotOpenFailsTheRequestNamingTheCallAndTheError() throws Exception {
        gpus.failOpens(400);
        RemoteBuffer remote = remote(Duration.ofSeconds(20));

        BatchResult r = end(initiator.submit(List.of(TransferRequest.write(local, 0, remote, 0, MIB))));

        assertThat(r.statuses().get(0).state()).isEqualTo(TransferState.FAILED);
        assertThat(r.statuses().get(0).failureReason()).contains("hipIpcOpenMemHandle failed: hipErrorInvalidHandle (400)");
    }

    @Test
    void gpuToGpuBothWaysMovesExactBytesWithoutStaging() throws Exception {
        RemoteBuffer remote = remote(Duration.ofSeconds(20));
        HipTestDouble app = gpus.process();
        long dev = app.malloc(8L * MIB);
        java.nio.ByteBuffer host = java.nio.ByteBuffer.allocateDirect(4 * MIB);
        try {
            initiator.registerLocalMemory(dev, 8L * MIB, "hip:0");
            long seed = 99;
            Pattern.fill(host, 0, 4 * MIB, seed);
            app.memcpy(dev + 5, io.mooncake.engine.memory.NativeMemory.addressOf(host), 4 * MIB);
            peer.fill(8L * MIB, 3 * MIB, seed + 1);

            BatchResult r = end(initiator.submit(List.of(
                    new TransferRequest(io.mooncake.engine.api.OpCode.WRITE, dev + 5, remote.segmentId(),
                            remote.address() + 1001, 4 * MIB),
                    new TransferRequest(io.mooncake.engine.api.OpCode.READ, dev + 4L * MIB + 100, remote.segmentId(),
                            remote.address() + 8L * MIB, 3 * MIB))));

            assertThat(r.statuses()).allMatch(s -> s.state() == TransferState.COMPLETED);
            peer.verify(1001, 4 * MIB, seed);
            app.memcpy(io.mooncake.engine.memory.NativeMemory.addressOf(host), dev + 4L * MIB + 100, 3 * MIB);
            assertThat(Pattern.mismatch(host, 0, 3 * MIB, seed + 1)).isNull();
            assertThat(initiator.stats().counters(HipDouble.PROTOCOL, io.mooncake.engine.api.OpCode.READ).bytes())
                    .isEqualTo(3L * MIB);
        } finally {
            initiator.unregisterLocalMemory(dev);
            app.free(dev);
        }
    }

    @Test
    void gpuMemoryToAHostOnlyPeerIsStagedThroughPinnedMemoryOverTcp() throws Exception {
        io.mooncake.engine.transport.contract.InProcessPeer hostPeer = io.mooncake.engine.transport.contract
                .InProcessPeer.start(Engines.loopback().disabledTransports("local,shm").build(), 8L * MIB);
        initiator = MooncakeEngine.start(config().build());
        HipTestDouble app = gpus.process();
        long dev = app.malloc(4L * MIB);
        java.nio.ByteBuffer host = java.nio.ByteBuffer.allocateDirect(2 * MIB);
        try {
            initiator.registerLocalMemory(dev, 4L * MIB, "hip:0");
            RemoteBuffer target = initiator.openSegment(hostPeer.segmentName()).buffer(0);
            long seed = 5;
            Pattern.fill(host, 0, 2 * MIB, seed);
            app.memcpy(dev, io.mooncake.engine.memory.NativeMemory.addressOf(host), 2 * MIB);

            BatchResult r = end(initiator.submit(List.of(new TransferRequest(io.mooncake.engine.api.OpCode.WRITE,
                    dev, target.segmentId(), target.address() + 77, 2 * MIB))));

            assertThat(r.statuses().get(0).state()).as(r.statuses().get(0).toString())
                    .isEqualTo(TransferState.COMPLETED);
            hostPeer.verify(77, 2 * MIB, seed);
            assertThat(initiator.stats().counters("tcp", io.mooncake.engine.api.OpCode.WRITE).bytes())
                    .isEqualTo(2L * MIB);
        } finally {
            initiator.unregisterLocalMemory(dev);
            app.free(dev);
            hostPeer.close();
        }
    }

    @Test
    void hostMemoryIsLeftToOtherTransportsAndGetsNoHandle() {
        try (LocalBuffer host = peer.engine().allocateBuffer(MIB, "cpu:0")) {
            SegmentDescriptor d = peer.engine().localDescriptor();
            BufferDescriptor hb = d.findBuffer(host.address(), MIB);
            assertThat(hb).isNotNull();
            assertThat(hb.shmName()).isNull();
            assertThat(d.findBuffer(peer.bufferAddress(), 1).shmName()).hasSize(128);
        }
    }
}
