package io.mooncake.transport.cxl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.mooncake.engine.api.BatchResult;
import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.api.RemoteBuffer;
import io.mooncake.engine.api.TransferRequest;
import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.api.TransportUnavailableException;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.memory.NativeMemory;
import io.mooncake.engine.metadata.BufferDescriptor;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.metadata.SegmentDescriptorCodec;
import io.mooncake.engine.metadata.http.HttpMetadataServer;
import io.mooncake.engine.transport.Availability;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.probe.DeviceAccess;
import io.mooncake.testing.FakeLibraries;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The cxl transport on a real shared mapping: the device is a file on /dev/shm (tmpfs), mapped
 * by engines exactly as /dev/daxX.Y would be. Two engines of this JVM share it (the same-process
 * transport is off, so requests go over cxl); the two-process case is {@link CxlTransportContractTests}.
 */
class CxlTransportTest {

    static final long MIB = 1 << 20;
    static final long DEVICE_BYTES = 256 * MIB;

    Path device;
    final List<AutoCloseable> open = new java.util.ArrayList<>();

    @BeforeEach
    void createDevice() throws IOException {
        device = Files.createTempFile(Path.of("/dev/shm"), "mooncake-cxl-test-", ".dev");
        try (RandomAccessFile f = new RandomAccessFile(device.toFile(), "rw")) {
            f.setLength(DEVICE_BYTES);
        }
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        Files.deleteIfExists(device);
    }

    EngineConfig.Builder config(Map<String, String> env) {
        return EngineConfig.builder().localHostname("127.0.0.1").metadataServer("P2PHANDSHAKE").protocol("cxl")
                .transferTimeout(Duration.ofSeconds(20)).connectTimeout(Duration.ofSeconds(2))
                .handshakeTimeout(Duration.ofSeconds(5)).ioThreads(1).disabledTransports("local,shm")
                .fallbackToTcp(false).environment(env);
    }

    Map<String, String> env() {
        return Map.of("MC_CXL_DEV_PATH", device.toString(), "MC_CXL_DEV_SIZE", Long.toString(DEVICE_BYTES));
    }

    MooncakeEngine engine(Map<String, String> env) {
        MooncakeEngine e = MooncakeEngine.start(config(env).build());
        open.add(e);
        return e;
    }

    @Test
    void twoEnginesOnOneDeviceMoveExactBytesByCopiesThroughTheDevice() {
        MooncakeEngine a = engine(env());
        MooncakeEngine b = engine(env());
        LocalBuffer src = a.allocateBuffer(8 * MIB, "cpu:0");
        LocalBuffer dst = b.allocateBuffer(8 * MIB, "cpu:0");
        assertThat(a.selection().active()).contains("cxl");
        for (int i = 0; i < 8 * MIB; i++) {
            src.byteBuffer().put(i, (byte) (i * 31 + 7));
        }
        RemoteBuffer target = a.openSegment(b.localSegmentName()).buffer(0);

        BatchResult w = a.submit(List.of(TransferRequest.write(src, 5, target, 3, 8 * MIB - 9)))
                .await(Duration.ofSeconds(60));

        assertThat(w.statuses().get(0).state()).isEqualTo(TransferState.COMPLETED);
        for (int i = 0; i < 8 * MIB - 9; i++) {
            if (dst.byteBuffer().get(3 + i) != (byte) ((i + 5) * 31 + 7)) {
                throw new AssertionError("byte " + i + " differs");
            }
        }
        assertThat(dst.byteBuffer().get(2)).as("nothing written before the range").isZero();
        assertThat(a.stats().counters("cxl", io.mooncake.engine.api.OpCode.WRITE).bytes()).isEqualTo(8 * MIB - 9);
    }

    @Test
    void engineAllocatedBuffersOfTwoEnginesNeverOverlapInTheDevice() {
        MooncakeEngine a = engine(env());
        MooncakeEngine b = engine(env());
        LocalBuffer x = a.allocateBuffer(3 * MIB, "cpu:0");
        LocalBuffer y = b.allocateBuffer(3 * MIB, "cpu:0");
        LocalBuffer z = a.allocateBuffer(MIB, "cpu:0");

        long[][] ranges = {{x.address(), 3 * MIB}, {y.address(), 3 * MIB}, {z.address(), MIB}};
        for (int i = 0; i < ranges.length; i++) {
            for (int j = i + 1; j < ranges.length; j++) {
                boolean overlap = ranges[i][0] < ranges[j][0] + ranges[j][1] && ranges[j][0] < ranges[i][0] + ranges[i][1];
                assertThat(overlap).as("ranges %d and %d", i, j).isFalse();
            }
        }
    }

    @Test
    void descriptorCarriesCxlNameBaseAddressAndBuffersByDeviceOffset() {
        MooncakeEngine a = engine(env());
        LocalBuffer buf = a.allocateBuffer(4 * MIB, "cpu:0");

        JsonNode json = SegmentDescriptorCodec.toTree(a.localDescriptor());

        assertThat(json.get("protocol").asString()).isEqualTo("cxl");
        assertThat(json.get("cxl_name").asString()).isEqualTo(device.toString());
        long base = json.get("cxl_base_addr").asLong();
        JsonNode b0 = json.get("buffers").get(0);
        assertThat(b0.get("name").asString()).isEqualTo(a.localSegmentName());
        assertThat(b0.get("offset").asLong()).isEqualTo(buf.address() - base);
        assertThat(b0.get("length").asLong()).isEqualTo(4 * MIB);
    }

    @Test
    void remoteAccessibleMemoryOutsideTheDeviceIsRefusedNamingTheDevice() {
        MooncakeEngine a = engine(env());
        long outside = NativeMemory.allocate(MIB);
        try {
            assertThatThrownBy(() -> a.registerLocalMemory(outside, MIB, "cpu:0", true))
                    .isInstanceOf(MooncakeException.class)
                    .hasMessageContaining("must lie inside the CXL device " + device)
                    .hasMessageContaining("allocateBuffer");
            a.registerLocalMemory(outside, MIB, "cpu:0", false); // local-only: only ever a copy source
            a.unregisterLocalMemory(outside);
        } finally {
            NativeMemory.free(outside);
        }
    }

    @Test
    void targetOfAReferencePublishedCxlSegmentIsTheDeviceOffset() throws Exception {
        HttpMetadataServer server = HttpMetadataServer.builder().host("127.0.0.1").port(0).start();
        open.add(server);
        // As a reference node publishes it: {name, offset, length}, no addr.
        String ref = "{\"buffers\":[{\"length\":4194304,\"name\":\"ref-node:1\",\"offset\":8388608}],\"cxl_base_addr\":"
                + "140000000000,\"cxl_name\":\"" + device + "\",\"name\":\"ref-node:1\",\"protocol\":\"cxl\","
                + "\"tcp_data_port\":0,\"tcp_proto_version\":1,\"timestamp\":\"2026-08-22 13:12:18.123456\"}";
        HttpResponse<String> put = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.url()
                + "?key=" + URLEncoder.encode("mooncake/ram/ref-node:1", StandardCharsets.UTF_8)))
                .PUT(HttpRequest.BodyPublishers.ofString(ref)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).isLessThan(300);
        HttpResponse<String> rpc = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.url()
                + "?key=" + URLEncoder.encode("mooncake/rpc_meta/ref-node:1", StandardCharsets.UTF_8)))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"ip_or_host_name\":\"127.0.0.1\",\"rpc_port\":1}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(rpc.statusCode()).isLessThan(300);
        MooncakeEngine a = MooncakeEngine.start(config(env()).metadataServer(server.url()).build());
        open.add(a);
        LocalBuffer src = a.allocateBuffer(MIB, "cpu:0");
        for (int i = 0; i < MIB; i++) {
            src.byteBuffer().put(i, (byte) (i ^ 0x5a));
        }
        long segment = a.openSegment("ref-node:1").id();

        BatchResult inside = a.submit(List.of(new TransferRequest(io.mooncake.engine.api.OpCode.WRITE, src.address(),
                segment, 8 * MIB + 4096, MIB))).await(Duration.ofSeconds(60));
        BatchResult outside = a.submit(List.of(new TransferRequest(io.mooncake.engine.api.OpCode.WRITE,
                src.address(), segment, 4096, MIB))).await(Duration.ofSeconds(60));

        assertThat(inside.statuses().get(0).state()).isEqualTo(TransferState.COMPLETED);
        assertThat(outside.statuses().get(0).state()).isEqualTo(TransferState.FAILED);
        assertThat(outside.statuses().get(0).failureReason()).contains("not inside any buffer");
        try (FileChannel ch = FileChannel.open(device, StandardOpenOption.READ)) {
            MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, 8 * MIB + 4096, MIB);
            for (int i = 0; i < MIB; i++) {
                if (m.get(i) != (byte) (i ^ 0x5a)) {
                    throw new AssertionError("device byte " + (8 * MIB + 4096 + i) + " differs");
                }
            }
        }
    }

    @Test
    void bufferPublishedByOffsetOnlyIsAddressedByDeviceOffset() {
        SegmentDescriptor d = SegmentDescriptorCodec.decode("{\"buffers\":[{\"length\":100,\"name\":\"ref:1\","
                + "\"offset\":1000}],\"cxl_base_addr\":1,\"cxl_name\":\"/dev/dax0.0\",\"name\":\"ref:1\",\"protocol\":"
                + "\"cxl\",\"tcp_data_port\":0}");
        BufferDescriptor b = d.buffers().get(0);

        assertThat(b.base()).isEqualTo(1000);
        assertThat(d.findBuffer(1000, 100)).isSameAs(b);
        assertThat(d.findBuffer(0, 10)).isNull();
        assertThat(d.findBuffer(1050, 51)).isNull();
    }

    // ---- errors: each names the path, the size and the fix

    Availability availability(Map<String, String> env, DeviceAccess access) {
        return new CxlTransportProvider(new FakeLibraries(), access).availability(
                TransportContext.standalone(config(env).build(), "n:1", "127.0.0.1"));
    }

    @Test
    void aMissingDeviceIsRefusedNamingPathSizeAndFix() {
        Map<String, String> env = Map.of("MC_CXL_DEV_PATH", "/dev/shm/no-such-cxl-device", "MC_CXL_DEV_SIZE", "1048576");

        Availability a = availability(env, DeviceAccess.OPEN);

        assertThat(a.cause()).isEqualTo(Availability.Cause.NO_DEVICE);
        assertThat(a.describe()).contains("/dev/shm/no-such-cxl-device").contains("1048576 bytes")
                .contains("set MC_CXL_DEV_PATH to a device-DAX device");
        assertThatThrownBy(() -> MooncakeEngine.start(config(env).build()))
                .isInstanceOf(TransportUnavailableException.class).hasMessageContaining("/dev/shm/no-such-cxl-device");
        assertThatThrownBy(() -> CxlDevice.open("/dev/shm/no-such-cxl-device", MIB))
                .hasMessageContaining("/dev/shm/no-such-cxl-device").hasMessageContaining(MIB + " bytes")
                .hasMessageContaining("set MC_CXL_DEV_PATH");
    }

    @Test
    void aDeviceSmallerThanRequestedIsRefusedNamingPathBothSizesAndFix() {
        Map<String, String> env = Map.of("MC_CXL_DEV_PATH", device.toString(), "MC_CXL_DEV_SIZE",
                Long.toString(2 * DEVICE_BYTES));

        Availability a = availability(env, DeviceAccess.OPEN);

        assertThat(a.cause()).isEqualTo(Availability.Cause.INIT_FAILED);
        assertThat(a.reason()).isEqualTo("CXL device " + device + " is " + DEVICE_BYTES + " bytes, smaller than the "
                + 2 * DEVICE_BYTES + " bytes requested (MC_CXL_DEV_SIZE)");
        assertThat(a.fix()).startsWith("set MC_CXL_DEV_SIZE to at most " + DEVICE_BYTES + " or unset it, or grow the "
                + "file (truncate -s " + 2 * DEVICE_BYTES + " " + device + ")");
        // The transport checks again when it maps (the file may shrink between probe and start).
        assertThatThrownBy(() -> CxlDevice.open(device.toString(), 2 * DEVICE_BYTES))
                .hasMessageContaining(device + " is " + DEVICE_BYTES + " bytes, smaller than the " + 2 * DEVICE_BYTES)
                .hasMessageContaining("set MC_CXL_DEV_SIZE to at most " + DEVICE_BYTES);
    }

    @Test
    void withoutASizeAFileDeviceIsMappedWhole() {
        Availability a = availability(Map.of("MC_CXL_DEV_PATH", device.toString()), DeviceAccess.OPEN);

        assertThat(a.available()).as(a.describe()).isTrue();
        assertThat(a.details()).containsEntry("size", Long.toString(DEVICE_BYTES));
    }

    @Test
    void aDeviceWithoutPermissionIsRefusedNamingPathSizeAndFix() {
        Map<String, String> env = env();
        // The probe as it answers for a device this user may not open (root opens any file, so the
        // operating system's refusal is simulated here and checked for real just below when not root).
        Availability a = availability(env, d -> new DeviceAccess.Result(DeviceAccess.Status.DENIED, "permission denied"));

        assertThat(a.cause()).isEqualTo(Availability.Cause.PERMISSION_DENIED);
        assertThat(a.describe()).contains("cannot open " + device + ": permission denied")
                .contains("give this user read-write access to " + device + " (" + DEVICE_BYTES + " bytes to map)");
    }

    @Test
    void aDeviceWithoutPermissionIsRefusedByTheOperatingSystem() throws IOException {
        assumeThat(System.getProperty("user.name")).as("root opens files whatever their mode: this check needs "
                + "another user").isNotEqualTo("root");
        Files.setPosixFilePermissions(device, java.nio.file.attribute.PosixFilePermissions.fromString("r--------"));

        assertThat(availability(env(), DeviceAccess.OPEN).cause()).isEqualTo(Availability.Cause.PERMISSION_DENIED);
        assertThatThrownBy(() -> CxlDevice.open(device.toString(), DEVICE_BYTES))
                .hasMessageContaining("cannot open CXL device " + device + " read-write (" + DEVICE_BYTES + " bytes")
                .hasMessageContaining("permission denied; give this user read-write access");
    }

    @Test
    void deviceStaysMappedWhileAnotherEngineOfTheJvmUsesIt() {
        MooncakeEngine a = engine(env());
        MooncakeEngine b = engine(env());
        LocalBuffer x = b.allocateBuffer(MIB, "cpu:0");
        ByteBuffer bb = x.byteBuffer();
        a.close();
        bb.put(0, (byte) 9); // would crash the JVM if a's close had unmapped the shared mapping
        assertThat(bb.get(0)).isEqualTo((byte) 9);
    }
}
