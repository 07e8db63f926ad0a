package io.mooncake.engine.metadata.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.mooncake.engine.api.SegmentNotFoundException;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.metadata.BufferDescriptor;
import io.mooncake.engine.metadata.MetadataConnection;
import io.mooncake.engine.metadata.MetadataKeys;
import io.mooncake.engine.metadata.MetadataUnavailableException;
import io.mooncake.engine.metadata.RpcMeta;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.metadata.kv.KvSegmentDirectory;
import io.mooncake.engine.metadata.kv.MetadataBackendContractTests;
import io.mooncake.engine.metadata.kv.SegmentDirectories;
import io.mooncake.engine.metadata.support.LocalEtcd;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The metadata contract against a real etcd, plus etcd's own behaviours: watch, lease, restart. */
class EtcdMetadataStoreTests extends MetadataBackendContractTests {

    @RegisterExtension
    static final LocalEtcd etcd = new LocalEtcd();

    @Override
    protected String connectionString() {
        return etcd.connectionString();
    }

    @Override
    protected Optional<byte[]> rawGet(String key) {
        return etcd.rawGet(key);
    }

    @Override
    protected boolean storesTrailingNewline() {
        return true;
    }

    @Override
    protected Duration changeDetectionRefresh() {
        return Duration.ZERO; // the watch alone must notice
    }

    @Test
    void directoryWatchesSoNoPeriodicRefreshRuns() {
        KvSegmentDirectory d = directory(uniqueCluster());
        assertThat(d.isWatching()).isTrue();
        assertThat(d.refreshInterval()).isZero();
    }

    @Test
    void bareHostPortMeansEtcdAndSeveralEndpointsMayIncludeADeadOne() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = s.getLocalPort();
        }
        String cluster = uniqueCluster();
        EngineConfig config = EngineConfig.builder().metadataServer(etcd.endpoint()).clusterId(cluster)
                .metadataTtl(ttl()).connectTimeout(Duration.ofSeconds(3)).build();
        try (KvSegmentDirectory d = SegmentDirectories.open(MetadataConnection.parse(etcd.endpoint()), config)) {
            d.publish(SegmentDescriptor.tcp("bare:1", 15100, 2, List.of()), new RpcMeta("127.0.0.1", 15101));
        }
        String both = "etcd://127.0.0.1:" + dead + "," + etcd.endpoint();
        try (KvSegmentDirectory d = SegmentDirectories.open(MetadataConnection.parse(both),
                config.mutate().metadataServer(both).build())) {
            assertThat(d.resolveRpc("bare:1").rpcPort()).isEqualTo(15101);
            assertThat(d.describe()).isEqualTo("etcd 127.0.0.1:" + dead + "," + etcd.endpoint());
        }
    }

    @Test
    void unreachableEtcdFailsWithinTheTimeoutNamingTheServerAndTheFix() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = s.getLocalPort();
        }
        String cs = "etcd://127.0.0.1:" + dead;
        EngineConfig config = EngineConfig.builder().metadataServer(cs).connectTimeout(Duration.ofSeconds(1)).build();
        // bounded only so that a hang fails the test; the message says the 1 s timeout was applied
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertThatThrownBy(
                () -> SegmentDirectories.open(MetadataConnection.parse(cs), config))
                .isInstanceOf(MetadataUnavailableException.class)
                .hasMessageContaining("metadata server '" + cs + "' cannot be reached within 1 s")
                .hasMessageContaining("P2PHANDSHAKE"));
    }

    @Test
    void aLostLeaseIsReGrantedAndTheKeysArePublishedAgain() {
        String cluster = uniqueCluster();
        MetadataKeys keys = MetadataKeys.forCluster(cluster);
        KvSegmentDirectory d = directory(cluster);
        d.publish(SegmentDescriptor.tcp("node-lease:1", 15120, 2, List.of()), new RpcMeta("127.0.0.1", 15121));
        EtcdMetadataStore store = (EtcdMetadataStore) d.store();
        long first = store.leaseId();

        etcd.revokeLease(first);
        assertThat(etcd.rawGet(keys.rpcMeta("node-lease:1"))).isEmpty();

        await().atMost(ttl().plusSeconds(3)).untilAsserted(() -> {
            assertThat(etcd.rawGet(keys.rpcMeta("node-lease:1"))).isPresent();
            assertThat(etcd.rawGet(keys.ram("node-lease:1"))).isPresent();
        });
        assertThat(store.leaseId()).isNotEqualTo(first);
    }

    /**
     * A re-publication after a lost lease read the owned value before a newer put replaced it: it must
     * not land after that put (found by ChaosTest: a restarted peer's first, bufferless descriptor stayed
     * in etcd while the peer believed its buffer published). The hook holds the re-publication between its
     * check and its write while another thread publishes the newer descriptor.
     */
    @Test
    void aRePublicationAfterALostLeaseDoesNotOverwriteANewerPut() throws Exception {
        String cluster = uniqueCluster();
        MetadataKeys keys = MetadataKeys.forCluster(cluster);
        KvSegmentDirectory d = directory(cluster);
        RpcMeta rpc = new RpcMeta("127.0.0.1", 15131);
        d.publish(SegmentDescriptor.tcp("node-race:1", 15130, 2, List.of()), rpc);
        SegmentDescriptor withBuffer = SegmentDescriptor.tcp("node-race:1", 15130, 2,
                List.of(BufferDescriptor.of("node-race:1", 8192, 4096)));
        EtcdMetadataStore store = (EtcdMetadataStore) d.store();
        java.util.concurrent.CompletableFuture<Void> newer = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.atomic.AtomicBoolean once = new java.util.concurrent.atomic.AtomicBoolean();
        store.beforeRepublishing = key -> {
            if (key.equals(keys.ram("node-race:1")) && once.compareAndSet(false, true)) {
                Thread t = new Thread(() -> {
                    try {
                        d.publish(withBuffer, rpc);
                        newer.complete(null);
                    } catch (RuntimeException e) {
                        newer.completeExceptionally(e);
                    }
                });
                t.start();
                try {
                    Thread.sleep(300); // long enough for that put to land first, were it not held back
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        etcd.revokeLease(store.leaseId());

        newer.get(ttl().plusSeconds(20).toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        assertThat(once).isTrue();
        await().atMost(ttl().plusSeconds(3)).untilAsserted(() -> assertThat(etcd.rawGet(keys.ram("node-race:1")))
                .hasValueSatisfying(v -> assertThat(new String(v, java.nio.charset.StandardCharsets.UTF_8))
                        .contains("8192")));
        // and it stays so: nothing older lands later
        Thread.sleep(ttl().toMillis());
        assertThat(new String(etcd.rawGet(keys.ram("node-race:1")).orElseThrow(),
                java.nio.charset.StandardCharsets.UTF_8)).contains("8192");
    }

    @Test
    void etcdRestartKeepsCachedPeersUsableAndTheStoreReconnects() {
        String cluster = uniqueCluster();
        MetadataKeys keys = MetadataKeys.forCluster(cluster);
        KvSegmentDirectory a = directory(cluster);
        SegmentDescriptor descA = SegmentDescriptor.tcp("node-a:1", 15110, 2,
                List.of(BufferDescriptor.of("node-a:1", 4096, 4096)));
        a.publish(descA, new RpcMeta("127.0.0.1", 15111));
        KvSegmentDirectory b = directory(cluster);
        b.publish(SegmentDescriptor.tcp("node-b:1", 15112, 2, List.of()), new RpcMeta("127.0.0.1", 15113));
        b.fetch("node-a:1");
        b.resolveRpc("node-a:1");

        etcd.stop();
        try {
            // cached peers keep working
            assertThat(b.fetch("node-a:1").sameContent(descA)).isTrue();
            assertThat(b.resolveRpc("node-a:1").rpcPort()).isEqualTo(15111);
            // a new lookup fails clearly, within the timeout
            assertThatThrownBy(() -> b.fetch("node-new:1")).isInstanceOf(SegmentNotFoundException.class)
                    .hasMessageContaining("cannot be looked up")
                    .hasMessageContaining("metadata server '" + etcd.connectionString() + "'")
                    .hasCauseInstanceOf(MetadataUnavailableException.class);
            await().atMost(Duration.ofSeconds(5)).until(() -> !b.isReachable());
        } finally {
            etcd.start();
        }

        await().atMost(Duration.ofSeconds(20)).until(b::isReachable);
        KvSegmentDirectory c = directory(cluster);
        c.publish(SegmentDescriptor.tcp("node-new:1", 15114, 2, List.of()), new RpcMeta("127.0.0.1", 15115));
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .untilAsserted(() -> assertThat(b.resolveRpc("node-new:1").rpcPort()).isEqualTo(15115));
        // the lease survived or was re-granted: own keys are still there after more than a TTL
        holdsFor(ttl().plusSeconds(1), () -> {
            assertThat(etcd.rawGet(keys.ram("node-a:1"))).isPresent();
            assertThat(etcd.rawGet(keys.rpcMeta("node-b:1"))).isPresent();
        });
    }
}
