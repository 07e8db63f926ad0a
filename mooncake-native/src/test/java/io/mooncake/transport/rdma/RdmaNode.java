package io.mooncake.transport.rdma;

import static io.mooncake.jna.verbs.VerbsAbi.*;

import io.mooncake.engine.memory.NativeMemory;
import io.mooncake.engine.metadata.BufferDescriptor;
import io.mooncake.engine.metadata.DeviceDescriptor;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.jna.verbs.RdmaVerbs;
import io.mooncake.testing.verbs.InMemoryFabric;
import io.mooncake.topology.Topology;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A node for data-path tests: NICs of the in-memory verbs fabric (a test fixture: no HCA exists on
 * this machine), one registered buffer on every NIC, its rdma descriptor, and a data path whose
 * handshakes reach other nodes' {@link RdmaDataPath#answer} through JSON text, as they would over
 * the handshake port.
 */
final class RdmaNode implements AutoCloseable {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final int ACCESS = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ;

    final String name;
    final InMemoryFabric fabric;
    final List<RdmaNic> nics = new ArrayList<>();
    final List<RdmaVerbs.MemoryRegion> mrs = new ArrayList<>();
    final long buffer;
    final long length;
    final long[] lkeys;
    final SegmentDescriptor descriptor;
    final RdmaDataPath path;
    final ExecutorService connector = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "rdma-test-connector");
        t.setDaemon(true);
        return t;
    });

    RdmaNode(String name, int host, InMemoryFabric fabric, Map<String, RdmaNode> cluster, RdmaSettings settings,
            AtomicLong clock, long length, String... devices) {
        this.name = name;
        this.fabric = fabric;
        this.length = length;
        List<InMemoryFabric.DeviceSpec> specs = new ArrayList<>();
        for (int i = 0; i < devices.length; i++) {
            specs.add(InMemoryFabric.DeviceSpec.roce(devices[i], host, i));
        }
        RdmaVerbs verbs = fabric.host(specs.toArray(InMemoryFabric.DeviceSpec[]::new));
        for (String d : devices) {
            nics.add(RdmaNic.open(verbs, d, settings, Path.of("/nonexistent")));
        }
        buffer = NativeMemory.allocate(length);
        lkeys = new long[nics.size()];
        List<Long> rk = new ArrayList<>();
        List<Long> lk = new ArrayList<>();
        for (int i = 0; i < nics.size(); i++) {
            RdmaVerbs.MemoryRegion mr = nics.get(i).pd().register(buffer, length, ACCESS);
            mrs.add(mr);
            lkeys[i] = mr.lkey() & 0xffff_ffffL;
            lk.add(lkeys[i]);
            rk.add(mr.rkey() & 0xffff_ffffL);
        }
        Map<String, Topology.Entry> m = new LinkedHashMap<>();
        m.put("cpu:0", new Topology.Entry(List.of(devices), List.of()));
        Topology topology = new Topology(m, List.of(devices));
        List<DeviceDescriptor> devs = nics.stream().map(RdmaNic::descriptor).toList();
        SegmentDescriptor base = new SegmentDescriptor(name, "rdma", 0, 1, null,
                List.of(RdmaDescriptors.buffer("cpu:0", buffer, length, lk, rk)), List.of(), Map.of(), Map.of());
        descriptor = RdmaDescriptors.describe(base, "rdma", devs, topology);
        path = new RdmaDataPath(name, nics, topology, settings, new RdmaDataPath.Peers() {
            @Override
            public JsonNode connect(String peerSegment, ObjectNode request) {
                RdmaNode peer = cluster.get(peerSegment);
                JsonNode req = JSON.readTree(JSON.writeValueAsString(request));
                return JSON.readTree(JSON.writeValueAsString(peer.path.answer(req)));
            }

            @Override
            public SegmentDescriptor descriptor(String peerSegment) {
                return cluster.get(peerSegment).descriptor;
            }
        }, clock::get, connector);
        cluster.put(name, this);
        path.start();
    }

    BufferDescriptor remoteBuffer() {
        return descriptor.buffers().get(0);
    }

    RdmaDataPath.Request request(SliceListener l, int opcode, long localOffset, RdmaNode peer, long remoteOffset,
            Slices slices) {
        return path.request(l, opcode, buffer + localOffset, "cpu:0", lkeys, peer.descriptor, peer.remoteBuffer(),
                peer.buffer + remoteOffset, slices);
    }

    @Override
    public void close() {
        path.close();
        for (RdmaVerbs.MemoryRegion mr : mrs) {
            mr.close();
        }
        for (RdmaNic n : nics) {
            n.close();
        }
        connector.shutdownNow();
        NativeMemory.free(buffer);
    }
}
