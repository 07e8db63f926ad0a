package io.mooncake.engine.metadata.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.metadata.kv.KvSegmentDirectory;
import io.mooncake.engine.metadata.kv.MetadataBackendContractTests;
import io.mooncake.engine.metadata.support.LocalRedis;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The metadata contract against a real redis-server without a password, database 0. */
class RedisMetadataStoreTests extends MetadataBackendContractTests {

    @RegisterExtension
    static final LocalRedis redis = new LocalRedis();

    @Override
    protected String connectionString() {
        return redis.connectionString();
    }

    @Override
    protected Optional<byte[]> rawGet(String key) {
        return redis.rawGet(key);
    }

    @Override
    protected boolean storesTrailingNewline() {
        return true;
    }

    @Override
    protected Duration changeDetectionRefresh() {
        return Duration.ofMillis(200);
    }

    @Test
    void withoutWatchTheDirectoryRefreshesEveryTtlWhenNoIntervalIsSet() {
        KvSegmentDirectory d = directory(uniqueCluster());
        assertThat(d.isWatching()).isFalse();
        assertThat(d.refreshInterval()).isEqualTo(ttl());
    }

    @Test
    void storedKeysCarryAnExpiryOfOneTtl() throws Exception {
        String cluster = uniqueCluster();
        directory(cluster).publish(io.mooncake.engine.metadata.SegmentDescriptor.tcp("node-x:1", 1, 2,
                java.util.List.of()), new io.mooncake.engine.metadata.RpcMeta("127.0.0.1", 2));
        Object pttl = redis.command(null, null, "PTTL", "mooncake/" + cluster + "/rpc_meta/node-x:1");
        assertThat((Long) pttl).isBetween(1L, ttl().toMillis());
    }
}
