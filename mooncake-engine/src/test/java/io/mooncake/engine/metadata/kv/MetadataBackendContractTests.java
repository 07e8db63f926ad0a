package io.mooncake.engine.metadata.kv;

import io.mooncake.engine.core.MooncakeEngine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.mooncake.engine.api.SegmentNotFoundException;
import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.metadata.BufferDescriptor;
import io.mooncake.engine.metadata.MetadataConnection;
import io.mooncake.engine.metadata.MetadataKeys;
import io.mooncake.engine.metadata.MetadataStore;
import io.mooncake.engine.metadata.RpcMeta;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.metadata.support.ChildJvm;
import io.mooncake.engine.metadata.support.PublishThenWait;
import io.mooncake.engine.testsupport.Engines;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Behaviour every key-value metadata backend must show, run against a real server by one subclass
 * per backend (etcd, Redis, the embedded HTTP server).
 */
public abstract class MetadataBackendContractTests {

    /** The reference document for the example tcp segment (§2), without the trailing newline. */
    static final String REFERENCE_DESCRIPTOR = "{\"buffers\":[{\"addr\":139872450002944,\"length\":1073741824,"
            + "\"name\":\"node-a:12345\"}],\"name\":\"node-a:12345\",\"protocol\":\"tcp\",\"tcp_data_port\":15873,"
            + "\"tcp_proto_version\":2,\"timestamp\":\"2026-08-22 13:12:18.123456\"}";
    static final String REFERENCE_RPC_META = "{\"ip_or_host_name\":\"10.0.0.1\",\"rpc_port\":15123}";

    private final List<AutoCloseable> toClose = new ArrayList<>();

    /** The connection string of the server under test. */
    protected abstract String connectionString();

    /** The value under {@code key}, read with an independent client, byte for byte. */
    protected abstract Optional<byte[]> rawGet(String key);

    /** Whether stored values end with a newline (etcd, Redis) or not (HTTP). */
    protected abstract boolean storesTrailingNewline();

    /** TTL used by these tests. */
    protected Duration ttl() {
        return Duration.ofSeconds(2);
    }

    /** Refresh interval for the change-detection tests; zero when the backend watches. */
    protected abstract Duration changeDetectionRefresh();

    /** Environment given to the configuration (Redis credentials). */
    protected Map<String, String> environment() {
        return Map.of();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        toClose.clear();
    }

    protected EngineConfig config(String clusterId, Duration refresh) {
        return EngineConfig.builder().environment(environment()).metadataServer(connectionString())
                .clusterId(clusterId).metadataTtl(ttl()).metadataRefreshInterval(refresh)
                .connectTimeout(Duration.ofSeconds(15)).build();
    }

    protected KvSegmentDirectory directory(String clusterId, Duration refresh) {
        KvSegmentDirectory d = SegmentDirectories.open(MetadataConnection.parse(connectionString()),
                config(clusterId, refresh));
        toClose.add(d);
        return d;
    }

    protected KvSegmentDirectory directory(String clusterId) {
        return directory(clusterId, Duration.ZERO);
    }

    protected MetadataStore store() {
        MetadataStore s = SegmentDirectories.openStore(MetadataConnection.parse(connectionString()),
                config(null, Duration.ZERO), SegmentDirectories.providers(getClass().getClassLoader()));
        toClose.add(s);
        return s;
    }

    protected static String uniqueCluster() {
        return "t-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static SegmentDescriptor segment(String name, int dataPort, long addr) {
        return SegmentDescriptor.tcp(name, dataPort, 2, List.of(BufferDescriptor.of(name, addr, 1 << 20)));
    }

    private String line(String json) {
        return storesTrailingNewline() ? json + "\n" : json;
    }

    private Optional<String> rawText(String key) {
        return rawGet(key).map(b -> new String(b, StandardCharsets.UTF_8));
    }

    // ---- plain store ----------------------------------------------------------------------------

    @Test
    void putGetDeleteRoundTrip() {
        MetadataStore s = store();
        String key = "mooncake/" + uniqueCluster() + "/ram/x";
        assertThat(s.get(key)).isEmpty();
        s.put(key, "{\"a\":1}\n".getBytes(StandardCharsets.UTF_8));
        assertThat(s.get(key)).hasValueSatisfying(v -> assertThat(new String(v, StandardCharsets.UTF_8))
                .isEqualTo(line("{\"a\":1}")));
        s.delete(key);
        assertThat(s.get(key)).isEmpty();
        s.delete(key); // deleting a missing key is not an error
        assertThat(s.isReachable()).isTrue();
        assertThat(s.describe()).contains(connectionString().replaceFirst("^[a-z]+://", ""));
    }

    // ---- documents ------------------------------------------------------------------------------

    @Test
    void publishStoresTheReferenceDocumentsUnderTheClusterPrefix() {
        String cluster = uniqueCluster();
        KvSegmentDirectory d = directory(cluster);
        SegmentDescriptor desc = new SegmentDescriptor("node-a:12345", "tcp", 15873, 2, "2026-08-22 13:12:18.123456",
                List.of(BufferDescriptor.of("node-a:12345", 139872450002944L, 1073741824L)), List.of(), Map.of(),
                Map.of());

        d.publish(desc, new RpcMeta("10.0.0.1", 15123));

        assertThat(rawText("mooncake/" + cluster + "/ram/node-a:12345")).hasValue(line(REFERENCE_DESCRIPTOR));
        assertThat(rawText("mooncake/" + cluster + "/rpc_meta/node-a:12345")).hasValue(line(REFERENCE_RPC_META));
    }

    @Test
    void publishWithoutClusterIdUsesTheDefaultPrefix() {
        String name = "node-" + UUID.randomUUID().toString().substring(0, 6) + ":1";
        KvSegmentDirectory d = directory(null);
        d.publish(segment(name, 15000, 4096), new RpcMeta("127.0.0.1", 15001));
        try {
            assertThat(rawText("mooncake/ram/" + name)).hasValueSatisfying(v -> assertThat(v)
                    .startsWith("{\"buffers\":[{\"addr\":4096,\"length\":1048576,\"name\":\"" + name + "\"}]"));
            assertThat(rawText("mooncake/rpc_meta/" + name))
                    .hasValue(line("{\"ip_or_host_name\":\"127.0.0.1\",\"rpc_port\":15001}"));
        } finally {
            d.withdraw(name);
        }
    }

    @Test
    void publishWritesOnlyTheGivenDescriptorNotAStaleOneLeftUnderTheSameName() {
        String cluster = uniqueCluster();
        MetadataKeys keys = MetadataKeys.forCluster(cluster);
        store().put(keys.ram("node-b:1"), ("{\"buffers\":[{\"addr\":1234,\"length\":99,\"name\":\"node-b:1\"}],"
                + "\"name\":\"node-b:1\",\"protocol\":\"tcp\",\"tcp_data_port\":1,\"tcp_proto_version\":2,"
                + "\"timestamp\":\"2020-01-01 00:00:00.000000\"}\n").getBytes(StandardCharsets.UTF_8));

        directory(cluster).publish(SegmentDescriptor.tcp("node-b:1", 15002, 2, List.of()),
                new RpcMeta("127.0.0.1", 15003));

        assertThat(rawText(keys.ram("node-b:1"))).hasValueSatisfying(v -> assertThat(v)
                .startsWith("{\"buffers\":[],\"name\":\"node-b:1\"").doesNotContain("\"addr\":1234"));
    }

    // ---- lookups --------------------------------------------------------------------------------

    @Test
    void peerFindsAPublishedSegmentAndItsRpcAddress() {
        String cluster = uniqueCluster();
        SegmentDescriptor a = segment("node-a:1", 15010, 8192);
        directory(cluster).publish(a, new RpcMeta("10.1.2.3", 15011));

        KvSegmentDirectory b = directory(cluster);
        assertThat(b.fetch("node-a:1").sameContent(a)).isTrue();
        assertThat(b.resolveRpc("node-a:1")).isEqualTo(new RpcMeta("10.1.2.3", 15011));
        assertThat(b.isReachable()).isTrue();
    }

    @Test
    void fetchOfAnUnknownSegmentFailsNamingTheKeyAndTheFix() {
        String cluster = uniqueCluster();
        KvSegmentDirectory b = directory(cluster);
        assertThatThrownBy(() -> b.fetch("nobody:1")).isInstanceOf(SegmentNotFoundException.class)
                .hasMessageContaining("mooncake/" + cluster + "/ram/nobody:1")
                .hasMessageContaining("MC_METADATA_CLUSTER_ID")
                .satisfies(e -> assertThat(((SegmentNotFoundException) e).segmentName()).isEqualTo("nobody:1"));
        assertThatThrownBy(() -> b.resolveRpc("nobody:1")).isInstanceOf(SegmentNotFoundException.class)
                .hasMessageContaining("rpc_meta");
    }

    @Test
    void invalidateMakesTheNextLookupReadTheRestartedPeersNewAddress() {
        String cluster = uniqueCluster();
        KvSegmentDirectory first = directory(cluster);
        first.publish(segment("node-a:1", 15020, 4096), new RpcMeta("127.0.0.1", 15021));
        KvSegmentDirectory b = directory(cluster, Duration.ofHours(1)); // refresh out of the way
        assertThat(b.resolveRpc("node-a:1").rpcPort()).isEqualTo(15021);

        // the peer restarts under the same name with a new port, through a new store (the old process
        // is gone: left running, its own keep-alive would put its old keys back over the new ones)
        first.close();
        directory(cluster).publish(segment("node-a:1", 15022, 4096), new RpcMeta("127.0.0.1", 15023));
        b.invalidate("node-a:1"); // what the engine does after a connection failure

        assertThat(b.resolveRpc("node-a:1").rpcPort()).isEqualTo(15023);
        assertThat(b.fetch("node-a:1").tcpDataPort()).isEqualTo(15022);
    }

    @Test
    void restartedNodeReRegistersUnderTheSameName() {
        String cluster = uniqueCluster();
        KvSegmentDirectory before = directory(cluster);
        before.publish(segment("node-r:1", 15030, 4096), new RpcMeta("127.0.0.1", 15031));
        before.close(); // gone without withdrawing: its keys are still there until the TTL

        KvSegmentDirectory after = directory(cluster);
        after.publish(segment("node-r:1", 15032, 4096), new RpcMeta("127.0.0.1", 15033));

        assertThat(rawText(MetadataKeys.forCluster(cluster).rpcMeta("node-r:1")))
                .hasValue(line("{\"ip_or_host_name\":\"127.0.0.1\",\"rpc_port\":15033}"));
        // and the new registration outlives the old one's TTL
        holdsFor(ttl().multipliedBy(2).plusMillis(500), () -> assertThat(rawText(MetadataKeys.forCluster(cluster)
                .rpcMeta("node-r:1"))).hasValue(line("{\"ip_or_host_name\":\"127.0.0.1\",\"rpc_port\":15033}")));
        assertThat(directory(cluster).resolveRpc("node-r:1").rpcPort()).isEqualTo(15033);
    }

    @Test
    void withdrawDeletesBothKeys() {
        String cluster = uniqueCluster();
        MetadataKeys keys = MetadataKeys.forCluster(cluster);
        KvSegmentDirectory d = directory(cluster);
        d.publish(segment("node-w:1", 15040, 4096), new RpcMeta("127.0.0.1", 15041));
        assertThat(rawGet(keys.ram("node-w:1"))).isPresent();

        d.withdraw("node-w:1");

        assertThat(rawGet(keys.ram("node-w:1"))).isEmpty();
        assertThat(rawGet(keys.rpcMeta("node-w:1"))).isEmpty();
    }

    @Test
    void rpcMetaIsWrittenOnceAndLaterPublishesWriteOnlyTheDescriptor() {
        String cluster = uniqueCluster();
        MetadataKeys keys = MetadataKeys.forCluster(cluster);
        KvSegmentDirectory d = directory(cluster);
        d.publish(segment("node-o:1", 15050, 4096), new RpcMeta("127.0.0.1", 15051));
        // a marker under rpc_meta: a publish that wrote rpc_meta again would replace it
        store().put(keys.rpcMeta("node-o:1"), "{\"ip_or_host_name\":\"marker\",\"rpc_port\":1}\n"
                .getBytes(StandardCharsets.UTF_8));

        d.publish(segment("node-o:1", 15050, 8192), new RpcMeta("127.0.0.1", 15051));
        d.publish(segment("node-o:1", 15050, 12288), new RpcMeta("127.0.0.1", 15051));

        assertThat(rawText(keys.rpcMeta("node-o:1"))).hasValueSatisfying(v -> assertThat(v).contains("marker"));
        assertThat(rawText(keys.ram("node-o:1"))).hasValueSatisfying(v -> assertThat(v).contains("\"addr\":12288"));
    }

    @Test
    void aNameLeftByANodeThatNoLongerAnswersIsTakenOver() throws IOException {
        String cluster = uniqueCluster();
        MetadataKeys keys = MetadataKeys.forCluster(cluster);
        int deadPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadPort = s.getLocalPort(); // nothing listens there once closed
        }
        store().put(keys.rpcMeta("node-k:1"), new RpcMeta("127.0.0.1", deadPort).encodeLine()
                .getBytes(StandardCharsets.UTF_8));

        directory(cluster).publish(segment("node-k:1", 15060, 4096), new RpcMeta("127.0.0.1", 15061));

        assertThat(rawText(keys.rpcMeta("node-k:1")))
                .hasValue(line("{\"ip_or_host_name\":\"127.0.0.1\",\"rpc_port\":15061}"));
    }

    @Test
    void aNameHeldByANodeThatAnswersIsRefusedNamingTheKeyTheAddressAndTheFixAndItsKeysStay() {
        String cluster = uniqueCluster();
        MetadataKeys keys = MetadataKeys.forCluster(cluster);
        try (MooncakeEngine live = MooncakeEngine.start(Engines.loopback().build())) {
            RpcMeta held = new RpcMeta("127.0.0.1", live.rpcPort());
            store().put(keys.rpcMeta("node-l2:1"), held.encodeLine().getBytes(StandardCharsets.UTF_8));
            KvSegmentDirectory d = directory(cluster);

            assertThatThrownBy(() -> d.publish(segment("node-l2:1", 15070, 4096), new RpcMeta("127.0.0.1", 15071)))
                    .hasMessageContaining("segment name 'node-l2:1' is taken")
                    .hasMessageContaining("key '" + keys.rpcMeta("node-l2:1") + "'")
                    .hasMessageContaining("127.0.0.1:" + live.rpcPort())
                    .hasMessageContaining("give this node another local hostname");
            d.withdraw("node-l2:1"); // what a node that failed to start does: it must not remove the other's keys

            assertThat(rawText(keys.rpcMeta("node-l2:1"))).hasValue(line(held.encodeLine().strip()));
        }
    }

    // ---- change detection -----------------------------------------------------------------------

    @Test
    void peerThatReRegistersIsNoticedAndListenersAreTold() {
        String cluster = uniqueCluster();
        KvSegmentDirectory before = directory(cluster);
        before.publish(segment("node-c:1", 15050, 4096), new RpcMeta("127.0.0.1", 15051));
        KvSegmentDirectory b = directory(cluster, changeDetectionRefresh());
        List<String> changed = new CopyOnWriteArrayList<>();
        b.onPeerChanged(changed::add);
        b.fetch("node-c:1");
        assertThat(b.resolveRpc("node-c:1").rpcPort()).isEqualTo(15051);

        before.close(); // the old process is gone (see above), and comes back:
        directory(cluster).publish(segment("node-c:1", 15052, 4096), new RpcMeta("127.0.0.1", 15053));

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(changed).contains("node-c:1"));
        assertThat(b.resolveRpc("node-c:1").rpcPort()).isEqualTo(15053);
    }

    @Test
    void peerThatLeavesIsEvictedAndListenersAreTold() {
        String cluster = uniqueCluster();
        KvSegmentDirectory a = directory(cluster);
        a.publish(segment("node-l:1", 15060, 4096), new RpcMeta("127.0.0.1", 15061));
        KvSegmentDirectory b = directory(cluster, changeDetectionRefresh());
        List<String> changed = new CopyOnWriteArrayList<>();
        b.onPeerChanged(changed::add);
        b.fetch("node-l:1");

        a.withdraw("node-l:1");

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(changed).contains("node-l:1"));
        assertThatThrownBy(() -> b.fetch("node-l:1")).isInstanceOf(SegmentNotFoundException.class);
    }

    // ---- expiry ---------------------------------------------------------------------------------

    @Test
    void keysOfAKilledProcessDisappearAfterTheTtlWhileALiveOneKeepsThem() {
        String cluster = uniqueCluster();
        MetadataKeys keys = MetadataKeys.forCluster(cluster);
        KvSegmentDirectory live = directory(cluster);
        live.publish(segment("node-live:1", 15070, 4096), new RpcMeta("127.0.0.1", 15071));

        try (ChildJvm child = ChildJvm.start(PublishThenWait.class, PublishThenWait.READY, Duration.ofSeconds(30),
                connectionString(), "node-dead:1", Long.toString(ttl().toMillis()), cluster)) {
            assertThat(rawGet(keys.ram("node-dead:1"))).isPresent();
            assertThat(rawGet(keys.rpcMeta("node-dead:1"))).isPresent();
            child.kill();
        }
        await().atMost(ttl().plusSeconds(5)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            assertThat(rawGet(keys.ram("node-dead:1"))).isEmpty();
            assertThat(rawGet(keys.rpcMeta("node-dead:1"))).isEmpty();
        });
        // refreshing keeps the live process's keys through more than a TTL
        holdsFor(ttl().plusMillis(300), () -> {
            assertThat(rawGet(keys.ram("node-live:1"))).isPresent();
            assertThat(rawGet(keys.rpcMeta("node-live:1"))).isPresent();
        });
    }

    /**
     * Checks {@code assertion} again and again for {@code period} and fails as soon as it does not
     * hold: for "still there after a TTL" without sleeping through it blind.
     */
    protected static void holdsFor(Duration period, org.awaitility.core.ThrowingRunnable assertion) {
        await().during(period).atMost(period.plusSeconds(20)).pollInterval(Duration.ofMillis(100))
                .untilAsserted(assertion);
    }
}
