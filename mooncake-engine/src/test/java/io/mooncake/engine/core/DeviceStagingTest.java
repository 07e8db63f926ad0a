package io.mooncake.engine.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.mooncake.engine.api.Batch;
import io.mooncake.engine.api.BatchResult;
import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.api.RemoteBuffer;
import io.mooncake.engine.api.SegmentHandle;
import io.mooncake.engine.api.TransferRequest;
import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.memory.NativeMemory;
import io.mooncake.engine.testsupport.Engines;
import io.mooncake.engine.testsupport.HostBackedDeviceMemory;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The engine's staging path for device memory on a host-only transport (tcp), end to end between
 * two engines over loopback. The GPU is a TEST DOUBLE ({@link HostBackedDeviceMemory}): this machine
 * has no GPU, so "device memory" ({@code gpu:0}) is host memory the engine must treat as device
 * memory - tcp refuses it, so every byte has to go through the pinned pool and the double's copies,
 * which the test counts. A small pool (2 units of 256 KiB) makes large requests wait for units.
 * The same path with real CUDA memory runs in mooncake-native's GPU tests on a GPU machine.
 */
class DeviceStagingTest {

    private static final int UNIT = 256 << 10;
    private static final long SIZE = 8L << 20;
    private static MooncakeEngine a;
    private static MooncakeEngine b;
    private static LocalBuffer device;
    private static LocalBuffer hostB;
    private static SegmentHandle segB;

    @BeforeAll
    static void start() {
        System.setProperty("mooncake.staging.units", "2");
        System.setProperty("mooncake.staging.unitBytes", Integer.toString(UNIT));
        try {
            a = MooncakeEngine.start(Engines.loopback().transferTimeout(Duration.ofSeconds(3)).build());
        } finally {
            System.clearProperty("mooncake.staging.units");
            System.clearProperty("mooncake.staging.unitBytes");
        }
        b = Engines.start();
        device = a.allocateBuffer(SIZE, "gpu:0");
        hostB = b.allocateBuffer(SIZE, "cpu:0");
        segB = a.openSegment(b.localSegmentName());
    }

    @AfterAll
    static void stop() {
        HostBackedDeviceMemory.releaseCopies();
        a.close();
        b.close();
    }

    @AfterEach
    void open() {
        HostBackedDeviceMemory.releaseCopies();
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {1, 4097, UNIT, UNIT + 1, (5 << 20) + 3})
    void deviceMemoryGoesOverTcpThroughThePinnedPool(int length) {
        byte[] data = random(length, length);
        put(device, 0, data); // the double's "device" memory is host memory: the test may fill it
        RemoteBuffer remote = segB.buffer(0);
        long toHost = HostBackedDeviceMemory.COPIES_TO_HOST.get();

        BatchResult w = a.submit(List.of(TransferRequest.write(device, 0, remote, 64, length)))
                .await(Duration.ofSeconds(30));
        assertThat(w.allCompleted()).as("%s", w).isTrue();
        byte[] atB = new byte[length];
        hostB.byteBuffer().get(64, atB);
        assertThat(atB).isEqualTo(data);
        assertThat(HostBackedDeviceMemory.COPIES_TO_HOST.get() - toHost)
                .as("one device-to-host copy per unit-sized slice").isEqualTo((length + UNIT - 1) / UNIT);

        long toDevice = HostBackedDeviceMemory.COPIES_TO_DEVICE.get();
        long dst = SIZE - length - 5;
        BatchResult r = a.submit(List.of(TransferRequest.read(device, dst, remote, 64, length)))
                .await(Duration.ofSeconds(30));
        assertThat(r.allCompleted()).as("%s", r).isTrue();
        assertThat(get(device, dst, length)).isEqualTo(data);
        assertThat(HostBackedDeviceMemory.COPIES_TO_DEVICE.get() - toDevice).isEqualTo((length + UNIT - 1) / UNIT);
    }

    @Test
    void deadlinePassingWhileTheDeviceCopyHangsEndsTimeoutAndReturnsEveryUnit() {
        HostBackedDeviceMemory.blockCopies();
        Batch batch = a.submit(List.of(TransferRequest.write(device, 0, segB.buffer(0), 0, 3 * UNIT)));
        BatchResult res = batch.await(Duration.ofSeconds(30));
        assertThat(res.statuses().get(0).state()).isEqualTo(TransferState.TIMEOUT);
        HostBackedDeviceMemory.releaseCopies();
        // the units come back: the next request (needing both units in turn) completes
        assertCompletes(4 * UNIT);
    }

    @Test
    void cancelWhileSlicesWaitForUnitsEndsCanceledAndReleasesTheDeviceBuffer() {
        LocalBuffer extra = a.allocateBuffer(4 * UNIT, "gpu:0");
        HostBackedDeviceMemory.blockCopies();
        Batch batch = a.submit(List.of(TransferRequest.write(extra, 0, segB.buffer(0), 0, 4 * UNIT)));
        batch.cancel();
        assertThat(batch.await(Duration.ofSeconds(30)).statuses().get(0).state()).isEqualTo(TransferState.CANCELED);
        HostBackedDeviceMemory.releaseCopies();
        // every slice ended, so the buffer is no longer held and can be unregistered at once
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            extra.close();
            assertThat(a.registeredMemory()).noneMatch(m -> m.address() == extra.address());
        });
        assertCompletes(UNIT);
    }

    @Test
    void aHostPointerRegisteredAsDeviceMemoryIsRefused() {
        ByteBuffer host = ByteBuffer.allocateDirect(4096);
        long address = NativeMemory.addressOf(host);
        assertThatThrownBy(() -> a.registerLocalMemory(address, 4096, "gpu:0"))
                .isInstanceOf(MooncakeException.class).hasMessageContaining("is host memory, not gpu:0");
    }

    @Test
    void aDevicePointerRegisteredAsHostMemoryIsRefusedNamingItsDevice() {
        assertThatThrownBy(() -> a.registerLocalMemory(device.address() + 4096, 4096, "cpu:0"))
                .isInstanceOf(MooncakeException.class)
                .hasMessageContaining("is gpu:0 device memory")
                .hasMessageContaining("register it with location 'gpu:0'");
    }

    @Test
    void aPeersDeviceBufferIsNeverServedByTheTcpReceiver() {
        LocalBuffer deviceB = b.allocateBuffer(UNIT, "gpu:0");
        try (MooncakeEngine c = Engines.start()) {
            SegmentHandle seg = c.openSegment(b.localSegmentName());
            RemoteBuffer target = seg.buffers().stream().filter(rb -> rb.address() == deviceB.address()).findFirst()
                    .orElseThrow(() -> new AssertionError("the peer does not publish its device buffer: " + seg));
            LocalBuffer hostC = c.allocateBuffer(UNIT, "cpu:0");
            BatchResult r = c.submit(List.of(TransferRequest.write(hostC, 0, target, 0, 128)))
                    .await(Duration.ofSeconds(30));
            // the receiver rejects the range instead of dereferencing a device pointer
            assertThat(r.statuses().get(0).state()).isEqualTo(TransferState.FAILED);
            assertThat(r.statuses().get(0).failureReason()).contains("reject");
        } finally {
            deviceB.close();
        }
    }

    private static void assertCompletes(int length) {
        byte[] data = random(length, 7);
        put(device, 0, data);
        BatchResult w = a.submit(List.of(TransferRequest.write(device, 0, segB.buffer(0), 0, length)))
                .await(Duration.ofSeconds(30));
        assertThat(w.allCompleted()).as("%s", w).isTrue();
        byte[] atB = new byte[length];
        hostB.byteBuffer().get(0, atB);
        assertThat(atB).isEqualTo(data);
    }

    private static void put(LocalBuffer buf, long offset, byte[] data) {
        NativeMemory.view(buf.address() + offset, data.length).put(0, data);
    }

    private static byte[] get(LocalBuffer buf, long offset, int length) {
        byte[] out = new byte[length];
        NativeMemory.view(buf.address() + offset, length).get(0, out);
        return out;
    }

    private static byte[] random(int length, long seed) {
        byte[] d = new byte[length];
        new Random(seed).nextBytes(d);
        return d;
    }
}
