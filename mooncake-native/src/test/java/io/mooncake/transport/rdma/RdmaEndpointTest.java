package io.mooncake.transport.rdma;

import static io.mooncake.jna.verbs.VerbsAbi.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.mooncake.engine.memory.NativeMemory;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.jna.verbs.Completions;
import io.mooncake.jna.verbs.RdmaVerbs;
import io.mooncake.jna.verbs.SendBatch;
import io.mooncake.testing.verbs.InMemoryFabric;
import io.mooncake.testing.verbs.InMemoryFabric.DeviceSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * Two nodes connect an endpoint through the Connection handshake codec and move bytes with RDMA
 * WRITE and READ, on the in-memory verbs device: a test fixture standing in for HCAs, which
 * cannot exist on this machine. It checks the QP setup sequence, the keys, and the error
 * behaviour the transport builds on (remote access errors, flushes, full send queues).
 */
class RdmaEndpointTest {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final int ACCESS = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ;

    InMemoryFabric fabric;
    RdmaNic a;
    RdmaNic b;
    final List<AutoCloseable> closing = new ArrayList<>();
    long bufA;
    long bufB;
    static final int LEN = 1 << 20;

    @BeforeEach
    void setUp() {
        fabric = new InMemoryFabric();
        RdmaVerbs hostA = fabric.host(DeviceSpec.roce("mlx5_0", 1, 0));
        RdmaVerbs hostB = fabric.host(DeviceSpec.roce("mlx5_0", 2, 0));
        a = RdmaNic.open(hostA, "mlx5_0", RdmaSettings.DEFAULTS, Path.of("/nonexistent"));
        b = RdmaNic.open(hostB, "mlx5_0", RdmaSettings.DEFAULTS, Path.of("/nonexistent"));
        bufA = NativeMemory.allocate(LEN);
        bufB = NativeMemory.allocate(LEN);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        a.close();
        b.close();
        NativeMemory.free(bufA);
        NativeMemory.free(bufB);
        assertThat(fabric.cqOverflows()).isZero();
        fabric.close();
    }

    /** Active side A asks B; B answers; both connect: what the transport does over the handshake port. */
    RdmaEndpoint[] connectPair() throws Exception {
        NicPath pa = new NicPath("node-a:1", "mlx5_0");
        NicPath pb = new NicPath("node-b:2", "mlx5_0");
        RdmaEndpoint ea = new RdmaEndpoint(a, pa, pb, RdmaSettings.DEFAULTS);
        RdmaEndpoint eb = new RdmaEndpoint(b, pb, pa, RdmaSettings.DEFAULTS);
        closing.add(ea);
        closing.add(eb);
        String requestJson = JSON.writeValueAsString(RdmaHandshake.request(pa, pb, ea.qpNums()).toJson());

        RdmaHandshake request = RdmaHandshake.fromJson(JSON.readTree(requestJson), "node-a:1");
        eb.connect(a.gid().gid(), a.lid(), request.qpNums());
        String replyJson = JSON.writeValueAsString(RdmaHandshake.accept(pb, pa, eb.qpNums()).toJson());

        RdmaHandshake reply = RdmaHandshake.fromJson(JSON.readTree(replyJson), "node-b:2");
        assertThat(reply.rejected()).isFalse();
        ea.connect(b.gid().gid(), b.lid(), reply.qpNums());
        return new RdmaEndpoint[] {ea, eb};
    }

    int pollOne(RdmaNic nic, Completions c) {
        int[] n = new int[1];
        await().atMost(Duration.ofSeconds(10)).until(() -> (n[0] = nic.cq().poll(c)) > 0);
        return n[0];
    }

    @Test
    void writeThenReadMoveTheBytesAndCompleteWithTheirIds() throws Exception {
        RdmaEndpoint ea = connectPair()[0];
        RdmaVerbs.MemoryRegion mrA = a.pd().register(bufA, LEN, ACCESS);
        RdmaVerbs.MemoryRegion mrB = b.pd().register(bufB, LEN, ACCESS);
        closing.add(mrA);
        closing.add(mrB);
        for (int i = 0; i < 4096; i++) {
            NativeMemory.putByte(bufA + i, (byte) (i * 7));
        }
        SendBatch batch = a.context().newSendBatch(8);
        Completions done = a.context().newCompletions(8);

        batch.add(41, IBV_WR_RDMA_WRITE, bufA, 4096, mrA.lkey(), bufB + 8192, mrB.rkey());
        assertThat(ea.qp(0).post(batch)).isZero();
        assertThat(pollOne(a, done)).isEqualTo(1);
        assertThat(done.wrId(0)).isEqualTo(41);
        assertThat(done.status(0)).isEqualTo(IBV_WC_SUCCESS);
        assertThat(done.opcode(0)).isEqualTo(IBV_WC_RDMA_WRITE);
        for (int i = 0; i < 4096; i++) {
            assertThat(NativeMemory.getByte(bufB + 8192 + i)).isEqualTo((byte) (i * 7));
        }

        batch.clear();
        batch.add(42, IBV_WR_RDMA_READ, bufA + 65536, 4096, mrA.lkey(), bufB + 8192, mrB.rkey());
        assertThat(ea.qp(1).post(batch)).isZero();
        assertThat(pollOne(a, done)).isEqualTo(1);
        assertThat(done.wrId(0)).isEqualTo(42);
        assertThat(done.byteLength(0)).isEqualTo(4096);
        assertThat(NativeMemory.getByte(bufA + 65536 + 4095)).isEqualTo((byte) (4095 * 7));
    }

    @Test
    void wrongRkeyFailsWithRemoteAccessErrorAndLaterRequestsFlush() throws Exception {
        RdmaEndpoint ea = connectPair()[0];
        RdmaVerbs.MemoryRegion mrA = a.pd().register(bufA, LEN, ACCESS);
        RdmaVerbs.MemoryRegion mrB = b.pd().register(bufB, 4096, IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ);
        closing.add(mrA);
        closing.add(mrB);
        SendBatch batch = a.context().newSendBatch(4);
        Completions done = a.context().newCompletions(4);

        batch.add(1, IBV_WR_RDMA_WRITE, bufA, 64, mrA.lkey(), bufB, mrB.rkey()); // no REMOTE_WRITE right
        batch.add(2, IBV_WR_RDMA_READ, bufA, 64, mrA.lkey(), bufB, mrB.rkey());
        assertThat(ea.qp(0).post(batch)).isZero();

        List<Integer> statuses = new ArrayList<>();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            int n = a.cq().poll(done);
            for (int i = 0; i < n; i++) {
                statuses.add(done.status(i));
            }
            return statuses.size() == 2;
        });
        assertThat(statuses).containsExactly(IBV_WC_REM_ACCESS_ERR, IBV_WC_WR_FLUSH_ERR);
    }

    @Test
    void postingBeforeConnectIsInvalidAndAFullSendQueueSaysWhereItStopped() throws Exception {
        NicPath pa = new NicPath("node-a:1", "mlx5_0");
        RdmaEndpoint unconnected = new RdmaEndpoint(a, pa, new NicPath("node-b:2", "mlx5_0"), RdmaSettings.DEFAULTS);
        closing.add(unconnected);
        SendBatch batch = a.context().newSendBatch(512);
        batch.add(1, IBV_WR_RDMA_WRITE, bufA, 8, 0, bufB, 0);
        assertThat(unconnected.qp(0).post(batch)).isEqualTo(22);
        assertThat(batch.firstFailed()).isZero();

        RdmaEndpoint ea = connectPair()[0];
        fabric.blackhole(a.gid().text(), true); // nothing completes, so the queue fills
        RdmaVerbs.MemoryRegion mrA = a.pd().register(bufA, LEN, ACCESS);
        closing.add(mrA);
        batch.clear();
        for (int i = 0; i < 300; i++) {
            batch.add(i, IBV_WR_RDMA_WRITE, bufA, 8, mrA.lkey(), bufB, 1);
        }
        assertThat(ea.qp(0).post(batch)).as("ENOMEM").isEqualTo(12);
        assertThat(batch.firstFailed()).as("MC_MAX_WR = 256 taken").isEqualTo(256);

        ea.fail(); // ERR: everything outstanding completes flushed
        fabric.blackhole(a.gid().text(), false);
        Completions done = a.context().newCompletions(64);
        int[] flushed = new int[1];
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            int n = a.cq().poll(done);
            for (int i = 0; i < n; i++) {
                assertThat(done.status(i)).isEqualTo(IBV_WC_WR_FLUSH_ERR);
            }
            return (flushed[0] += n) == 256;
        });
    }

    @Test
    void qpCountMismatchIsRejectedWithTheVariableToFix() {
        NicPath pa = new NicPath("node-a:1", "mlx5_0");
        RdmaEndpoint ea = new RdmaEndpoint(a, pa, new NicPath("node-b:2", "mlx5_0"), RdmaSettings.DEFAULTS);
        closing.add(ea);

        assertThatThrownBy(() -> ea.connect(b.gid().gid(), 0, List.of(1L, 2L, 3L)))
                .hasMessageContaining("MC_NUM_QP_PER_EP").hasMessageContaining("3");
    }

    @Test
    void nicDescribesItselfAsTheDescriptorsDevicesEntry() {
        assertThat(a.descriptor().name()).isEqualTo("mlx5_0");
        assertThat(a.descriptor().gid()).isEqualTo("00:00:00:00:00:00:00:00:00:00:ff:ff:0a:00:01:00");
        assertThat(a.descriptor().lid()).isZero();
        assertThat(a.pathMtu()).isEqualTo(IBV_MTU_4096);
        SegmentDescriptor d = new SegmentDescriptor("node-a:1", "rdma", 0, 1, null, List.of(), List.of(a.descriptor()),
                Map.of(), Map.of());
        RdmaDescriptors.validatePeer(d);
    }
}
