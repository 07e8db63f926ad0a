package io.mooncake.transport.rdma;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.memory.MemoryRegistry;
import io.mooncake.engine.memory.NativeMemory;
import io.mooncake.engine.memory.Region;
import io.mooncake.engine.metadata.BufferDescriptor;
import io.mooncake.engine.metadata.RemoteTarget;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.metadata.SegmentDescriptorCodec;
import io.mooncake.engine.transport.Reach;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.jna.verbs.RdmaVerbs;
import io.mooncake.testing.verbs.InMemoryFabric;
import io.mooncake.topology.Topology;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The transport's SPI side on the in-memory verbs device (a test fixture: no HCA exists here):
 * registration gives every region one key per NIC, the descriptor is rdma-shaped and readable by
 * the reference's rules, reach follows what a peer publishes, and Connection requests are
 * answered only for this node's NICs, end to end between two transports.
 */
class RdmaTransportTest {

    static final JsonMapper JSON = JsonMapper.builder().build();

    final InMemoryFabric fabric = new InMemoryFabric();
    final Map<String, RdmaTransport> byName = new LinkedHashMap<>();
    final Map<String, MemoryRegistry> registries = new LinkedHashMap<>();
    long memA;
    long memB;

    @AfterEach
    void tearDown() {
        byName.values().forEach(RdmaTransport::close);
        if (memA != 0) {
            NativeMemory.free(memA);
        }
        if (memB != 0) {
            NativeMemory.free(memB);
        }
        fabric.close();
    }

    RdmaTransport transport(String name, int host) {
        MemoryRegistry registry = new MemoryRegistry();
        registries.put(name, registry);
        RdmaVerbs verbs = fabric.host(InMemoryFabric.DeviceSpec.roce("mlx5_0", host, 0),
                InMemoryFabric.DeviceSpec.roce("mlx5_1", host, 1));
        Map<String, Topology.Entry> m = new LinkedHashMap<>();
        m.put("cpu:0", new Topology.Entry(List.of("mlx5_0"), List.of("mlx5_1")));
        m.put("cpu:1", new Topology.Entry(List.of("mlx5_1"), List.of("mlx5_0")));
        TransportContext base = TransportContext.of(EngineConfig.builder().build(), registry, name, "127.0.0.1", null,
                n -> {
                });
        TransportContext ctx = new TransportContext() {
            @Override
            public EngineConfig config() {
                return base.config();
            }

            @Override
            public MemoryRegistry memory() {
                return registry;
            }

            @Override
            public String localSegmentName() {
                return name;
            }

            @Override
            public String advertisedHost() {
                return "127.0.0.1";
            }

            @Override
            public JsonNode handshake(RemoteTarget target, ObjectNode request) {
                // what the handshake port carries: JSON text to the peer's transport and back
                ObjectNode parsed = (ObjectNode) JSON.readTree(JSON.writeValueAsString(request));
                ObjectNode reply = byName.get(target.segmentName()).onConnectionRequest(parsed);
                return JSON.readTree(JSON.writeValueAsString(reply));
            }
        };
        RdmaTransport t = new RdmaTransport(ctx, "rdma", verbs, new Topology(m, List.of("mlx5_0", "mlx5_1")),
                RdmaSettings.DEFAULTS, RdmaTransport.DEFAULT_SLICE_SIZE, Path.of("/nonexistent"));
        byName.put(name, t);
        t.start();
        return t;
    }

    SegmentDescriptor describe(RdmaTransport t, String name, long addr, long len) {
        SegmentDescriptor base = new SegmentDescriptor(name, "rdma", 0, 1, "2026-12-02 00:00:00.000000",
                List.of(BufferDescriptor.of("cpu:0", addr, len)), List.of(), Map.of(), Map.of());
        return SegmentDescriptorCodec.decode(SegmentDescriptorCodec.encode(t.describe(base)));
    }

    @Test
    void registeredRegionsArePublishedWithOneKeyPerNicInDeviceOrder() {
        RdmaTransport a = transport("node-a:1", 1);
        memA = NativeMemory.allocate(1 << 20);
        Region r = registries.get("node-a:1").register(memA, 1 << 20, "cpu:0", true, this);
        a.registered(r);

        SegmentDescriptor d = describe(a, "node-a:1", memA, 1 << 20);

        assertThat(d.protocol()).isEqualTo("rdma");
        assertThat(d.devices()).extracting(io.mooncake.engine.metadata.DeviceDescriptor::name)
                .containsExactly("mlx5_0", "mlx5_1");
        assertThat(d.devices().get(1).gid()).isEqualTo("00:00:00:00:00:00:00:00:00:00:ff:ff:0a:00:01:01");
        assertThat(d.priorityMatrix().get("cpu:1")).isEqualTo(List.of(List.of("mlx5_1"), List.of("mlx5_0")));
        BufferDescriptor b = d.buffers().get(0);
        assertThat(b.name()).isEqualTo("cpu:0");
        assertThat(b.rkey()).hasSize(2).doesNotHaveDuplicates();
        assertThat(b.lkey()).hasSize(2);
        RdmaDescriptors.validatePeer(d);
        assertThat(r.attachment("rdma")).isNotNull();

        a.unregistered(r);
        assertThat(describe(a, "node-a:1", memA, 1 << 20).buffers()).as("keyless buffers are not published").isEmpty();
    }

    @Test
    void reachFollowsWhatThePeerPublishes() {
        RdmaTransport a = transport("node-a:1", 1);
        RdmaTransport b = transport("node-b:2", 2);
        memB = NativeMemory.allocate(4096);
        b.registered(registries.get("node-b:2").register(memB, 4096, "cpu:0", true, this));
        SegmentDescriptor peer = describe(b, "node-b:2", memB, 4096);

        Reach yes = a.reach(new RemoteTarget(7, "node-b:2", peer, "127.0.0.1"));
        Reach tcpOnly = a.reach(new RemoteTarget(8, "node-c:3", SegmentDescriptor.tcp("node-c:3", 15000, 2,
                List.of(BufferDescriptor.of("node-c:3", 4096, 4096))), "127.0.0.1"));

        assertThat(yes.score()).isEqualTo(Reach.FABRIC);
        assertThat(yes.reason()).contains("2 NIC(s)");
        assertThat(tcpOnly.reachable()).isFalse();
        assertThat(tcpOnly.reason()).contains("no RDMA devices");
    }

    @Test
    void connectionRequestsAreAnsweredOnlyForThisNodesNics() {
        RdmaTransport b = transport("node-b:2", 2);
        RdmaTransport a = transport("node-a:1", 1);
        SegmentDescriptor descA = describe(a, "node-a:1", 4096, 4096);
        a.reach(new RemoteTarget(1, "node-a:1", descA, "127.0.0.1"));
        b.reach(new RemoteTarget(1, "node-a:1", descA, "127.0.0.1")); // B has opened A: it knows A's NICs

        ObjectNode forSomeoneElse = RdmaHandshake.request(new NicPath("node-a:1", "mlx5_0"),
                new NicPath("node-z:9", "mlx5_0"), List.of(1L, 2L)).toJson();
        ObjectNode forAnEfaDevice = RdmaHandshake.request(new NicPath("node-a:1", "mlx5_0"),
                new NicPath("node-b:2", "rdmap0s6"), List.of(1L, 2L)).toJson();
        assertThat(b.onConnectionRequest(forSomeoneElse)).isNull();
        assertThat(b.onConnectionRequest(forAnEfaDevice)).isNull();

        RdmaNic nicA = RdmaNic.open(fabric.host(InMemoryFabric.DeviceSpec.roce("mlx5_9", 9, 0)), "mlx5_9",
                RdmaSettings.DEFAULTS, Path.of("/nonexistent"));
        try (RdmaEndpoint ep = new RdmaEndpoint(nicA, new NicPath("node-a:1", "mlx5_0"),
                new NicPath("node-b:2", "mlx5_1"), RdmaSettings.DEFAULTS)) {
            ObjectNode reply = b.onConnectionRequest(RdmaHandshake.request(new NicPath("node-a:1", "mlx5_0"),
                    new NicPath("node-b:2", "mlx5_1"), ep.qpNums()).toJson());
            RdmaHandshake h = RdmaHandshake.fromJson(reply, "node-b:2");
            assertThat(h.rejected()).as(h.replyMsg()).isFalse();
            assertThat(h.localNicPath()).isEqualTo("node-b:2@mlx5_1");
            assertThat(h.peerNicPath()).isEqualTo("node-a:1@mlx5_0");
            assertThat(h.qpNums()).hasSize(2);
        } finally {
            nicA.close();
        }

        ObjectNode unknownPeer = RdmaHandshake.request(new NicPath("node-q:5", "mlx5_0"),
                new NicPath("node-b:2", "mlx5_0"), List.of(1L, 2L)).toJson();
        RdmaHandshake rejected = RdmaHandshake.fromJson(b.onConnectionRequest(unknownPeer), "node-b:2");
        assertThat(rejected.rejected()).isTrue();
        assertThat(rejected.replyMsg()).startsWith("Peer nic not found in that server: node-q:5@mlx5_0");
    }

    @Test
    void badSliceSizeIsNamed() {
        assertThat(RdmaTransport.sliceSize(Map.of())).isEqualTo(65_536);
        assertThat(RdmaTransport.sliceSize(Map.of("MC_SLICE_SIZE", "1048576"))).isEqualTo(1 << 20);
        assertThatThrownBy(() -> RdmaTransport.sliceSize(Map.of("MC_SLICE_SIZE", "12")))
                .hasMessageContaining("MC_SLICE_SIZE").hasMessageContaining("12");
    }
}
