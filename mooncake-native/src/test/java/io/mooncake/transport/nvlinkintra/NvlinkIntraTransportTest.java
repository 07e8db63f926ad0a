package io.mooncake.transport.nvlinkintra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.batch.BatchImpl;
import io.mooncake.engine.batch.Deadlines;
import io.mooncake.engine.batch.TransferTask;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.memory.MemoryKind;
import io.mooncake.engine.memory.NativeMemory;
import io.mooncake.engine.memory.Region;
import io.mooncake.engine.metadata.BufferDescriptor;
import io.mooncake.engine.metadata.RemoteTarget;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.transport.HostIdentity;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.jna.cuda.Cuda;
import io.mooncake.jna.cuda.FakeCudaDriver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * The nvlink_intra transport's logic over {@link FakeCudaDriver}, a TEST DOUBLE standing for the
 * driver and GPU absent on this machine (device memory is host memory the fake tracks; one process
 * plays both sides of the IPC handle): what registration publishes, reach, handles opened once per
 * peer allocation and closed on invalidation, exact bytes at the right offset, and ended tasks
 * skipped. Real CUDA IPC between two processes runs in {@code NvlinkIntraContractTests} on a GPU
 * machine.
 */
class NvlinkIntraTransportTest {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private final FakeCudaDriver driver = new FakeCudaDriver(1);
    private final Cuda cuda = new Cuda(driver);
    private final TransportContext context = TransportContext.standalone(EngineConfig.builder().build(), "me:1",
            "127.0.0.1");
    private final NvlinkIntraTransport transport = new NvlinkIntraTransport(context, cuda, 1, 2);
    private final Deadlines deadlines = new Deadlines("test-deadlines");

    @AfterEach
    void close() {
        driver.releaseCopies();
        transport.close();
        deadlines.close();
    }

    @Test
    void registrationPublishesTheUppercaseHexIpcHandleOfTheAllocationBase() {
        long alloc = cuda.alloc(0, 8 << 20);
        Region r = context.memory().register(alloc + 4096, 1 << 20, "cuda:0", true, null, MemoryKind.DEVICE);
        transport.registered(r);
        Region host = context.memory().register(NativeMemory.allocate(4096), 4096, "cpu:0", true, null);
        transport.registered(host);

        SegmentDescriptor d = transport.describe(new SegmentDescriptor("me:1", "nvlink_intra", 0, 2, "",
                List.of(new BufferDescriptor("me:1", alloc + 4096, 1 << 20, null, null, null, null, Map.of()),
                        new BufferDescriptor("me:1", host.address(), 4096, null, null, null, null, Map.of())),
                List.of(), Map.of(), Map.of()));

        BufferDescriptor b = d.buffers().get(0);
        assertThat(b.name()).isEqualTo("cuda:0");
        assertThat(b.shmName()).hasSize(128).matches("[0-9A-F]+").isEqualTo(Cuda.toHex(cuda.ipcHandle(0, alloc)));
        assertThat(b.extra().get("cuda_base").asLong()).isEqualTo(alloc);
        assertThat(d.buffers().get(1).shmName()).as("host memory gets no handle").isNull();
        assertThat(d.extra().get("nvlink_boot_id").asString("")).isEqualTo(HostIdentity.bootId());
    }

    @Test
    void reachesProcessesOfThisHostOnly() {
        assertThat(transport.reach(peer(HostIdentity.bootId(), "nvlink_intra", List.of())).reachable()).isTrue();
        assertThat(transport.reach(peer("another-boot", "nvlink_intra", List.of())).reason())
                .contains("another host");
        assertThat(transport.reach(peer(null, "nvlink_intra", List.of())).reason()).contains("reference node");
        assertThat(transport.reach(peer(null, "tcp", List.of())).reachable()).isFalse();
    }

    @Test
    void copiesExactBytesAtTheOffsetAndOpensEachPeerAllocationOnce() {
        long peerAlloc = cuda.alloc(0, 8 << 20);
        long published = peerAlloc + (1 << 20); // the peer registered part of its allocation
        String handle = Cuda.toHex(cuda.ipcHandle(0, peerAlloc));
        RemoteTarget target = peer(HostIdentity.bootId(), "nvlink_intra", List.of(new BufferDescriptor("cuda:0",
                published, 4 << 20, null, null, handle, null, Map.of("cuda_base", JSON.numberNode(peerAlloc)))));
        long local = cuda.alloc(0, 4 << 20);
        Region localRegion = context.memory().register(local, 4 << 20, "cuda:0", false, null, MemoryKind.DEVICE);
        for (int i = 0; i < 4 << 20; i++) {
            NativeMemory.putByte(local + i, (byte) (i * 31));
        }

        TransferTask w = run(OpCode.WRITE, local + 5, published + 1000, (3 << 20) + 7, target, localRegion);
        TransferTask r = run(OpCode.READ, local + (3 << 20) + 100, published + 1000, 50_000, target, localRegion);

        assertThat(w.state()).isEqualTo(TransferState.COMPLETED);
        assertThat(r.state()).isEqualTo(TransferState.COMPLETED);
        for (int i = 0; i < (3 << 20) + 7; i += 997) {
            assertThat(NativeMemory.getByte(published + 1000 + i)).isEqualTo((byte) ((i + 5) * 31));
        }
        for (int i = 0; i < 50_000; i += 13) {
            assertThat(NativeMemory.getByte(local + (3 << 20) + 100 + i)).isEqualTo((byte) ((i + 5) * 31));
        }
        assertThat(driver.ipcOpens.get()).as("one open for the peer allocation").isEqualTo(1);
        assertThat(transport.stats()).containsEntry("openIpcMappings", 1);

        transport.peerInvalidated(target.segmentName());
        assertThat(driver.ipcCloses.get()).isEqualTo(1);
        assertThat(transport.stats()).containsEntry("openIpcMappings", 0);
        run(OpCode.WRITE, local, published, 64, target, localRegion);
        assertThat(driver.ipcOpens.get()).as("opened again after invalidation").isEqualTo(2);
    }

    @Test
    void aBufferWithoutHandleIsRefusedAndABadHandleFailsNamingTheDriversError() {
        long local = cuda.alloc(0, 4096);
        Region localRegion = context.memory().register(local, 4096, "cuda:0", false, null, MemoryKind.DEVICE);
        RemoteTarget noHandle = peer(HostIdentity.bootId(), "nvlink_intra",
                List.of(new BufferDescriptor("cpu:0", 1 << 20, 4096, null, null, null, null, Map.of())));
        TransferTask t = task(OpCode.WRITE, local, 1 << 20, 64, noHandle, localRegion);
        assertThat(transport.unsupported(t)).contains("without a CUDA IPC handle");

        RemoteTarget bad = peer(HostIdentity.bootId(), "nvlink_intra", List.of(new BufferDescriptor("cuda:0",
                1 << 20, 4096, null, null, "00".repeat(64), null, Map.of())));
        TransferTask b = run(OpCode.WRITE, local, 1 << 20, 64, bad, localRegion);
        assertThat(b.state()).isEqualTo(TransferState.FAILED);
        assertThat(b.status().failureReason()).contains("cannot open the CUDA IPC handle")
                .contains("cuIpcOpenMemHandle").contains("CUDA_ERROR_INVALID_VALUE");
    }

    @Test
    void slicesOfATaskThatEndedBeforeTheirCopyAreSkipped() {
        long peerAlloc = cuda.alloc(0, 1 << 20);
        RemoteTarget target = peer(HostIdentity.bootId(), "nvlink_intra", List.of(new BufferDescriptor("cuda:0",
                peerAlloc, 1 << 20, null, null, Cuda.toHex(cuda.ipcHandle(0, peerAlloc)), null, Map.of())));
        long local = cuda.alloc(0, 1 << 20);
        Region localRegion = context.memory().register(local, 1 << 20, "cuda:0", false, null, MemoryKind.DEVICE);
        driver.blockCopies();
        TransferTask first = task(OpCode.WRITE, local, peerAlloc, 1 << 20, target, localRegion);
        TransferTask second = task(OpCode.WRITE, local, peerAlloc, 1 << 20, target, localRegion);
        transport.submit(first);
        first.submitted();
        transport.submit(second);
        second.submitted();
        first.finish(TransferState.CANCELED, "canceled by the test");
        second.finish(TransferState.TIMEOUT, "deadline in the test");
        int before = driver.copies.get();
        driver.releaseCopies();
        await().atMost(Duration.ofSeconds(20)).until(() -> localRegion.users() == 0);
        assertThat(driver.copies.get() - before).as("at most the copies already issued ran").isLessThanOrEqualTo(2);
        assertThat(first.state()).isEqualTo(TransferState.CANCELED);
        assertThat(second.state()).isEqualTo(TransferState.TIMEOUT);
    }

    private TransferTask task(OpCode op, long local, long remote, long length, RemoteTarget target, Region region) {
        BatchImpl batch = new BatchImpl(1, 1, (p, peer, o, b, s, l) -> {
        }, deadlines, Duration.ofSeconds(30), (t, c) -> {
        });
        batch.reserve(1, length);
        TransferTask t = batch.add(0, op, local, remote, length, target, "nvlink_intra");
        t.holdLocal(context.memory().acquire(local, length, false));
        t.remoteBuffer(target.descriptor().findBuffer(remote, length));
        t.plan("nvlink_intra", transport.sliceSize(target), null);
        return t;
    }

    private TransferTask run(OpCode op, long local, long remote, long length, RemoteTarget target, Region region) {
        TransferTask t = task(op, local, remote, length, target, region);
        if (transport.unsupported(t) == null) {
            transport.submit(t);
        }
        t.submitted();
        await().atMost(Duration.ofSeconds(20)).until(t::isDone);
        return t;
    }

    private static RemoteTarget peer(String bootId, String protocol, List<BufferDescriptor> buffers) {
        Map<String, JsonNode> extra = new java.util.HashMap<>();
        extra.put("java_process", JSON.stringNode("another-jvm/1"));
        if (bootId != null) {
            extra.put("nvlink_boot_id", JSON.stringNode(bootId));
        }
        return new RemoteTarget(7, "peer:1", new SegmentDescriptor("peer:1", protocol, 0, 2, "", buffers, List.of(),
                Map.of(), extra), "127.0.0.1");
    }
}
