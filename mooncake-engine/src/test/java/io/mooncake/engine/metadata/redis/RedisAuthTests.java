package io.mooncake.engine.metadata.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.metadata.MetadataConnection;
import io.mooncake.engine.metadata.MetadataUnavailableException;
import io.mooncake.engine.metadata.RpcMeta;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.metadata.kv.KvSegmentDirectory;
import io.mooncake.engine.metadata.kv.SegmentDirectories;
import io.mooncake.engine.metadata.support.LocalRedis;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** AUTH and SELECT from MC_REDIS_USERNAME, MC_REDIS_PASSWORD and MC_REDIS_DB_INDEX against a real redis-server. */
class RedisAuthTests {

    @RegisterExtension
    static final LocalRedis redis = new LocalRedis(List.of("requirepass defaultsecret",
            "user alice on >alicesecret ~* &* +@all"));

    private static KvSegmentDirectory open(Map<String, String> env) {
        EngineConfig config = EngineConfig.builder().environment(env).metadataServer(redis.connectionString())
                .connectTimeout(Duration.ofSeconds(2)).metadataTtl(Duration.ofSeconds(5)).build();
        return SegmentDirectories.open(MetadataConnection.parse(redis.connectionString()), config);
    }

    @Test
    void aclUserAndDatabaseIndexFromTheEnvironmentAreUsed() {
        try (KvSegmentDirectory d = open(Map.of("MC_REDIS_USERNAME", "alice", "MC_REDIS_PASSWORD", "alicesecret",
                "MC_REDIS_DB_INDEX", "7"))) {
            d.publish(SegmentDescriptor.tcp("auth:1", 1, 2, List.of()), new RpcMeta("127.0.0.1", 15200));
            assertThat(d.describe()).contains("db 7").doesNotContain("alicesecret");
        }
        assertThat(redis.rawGet("alice", "alicesecret", 7, "mooncake/rpc_meta/auth:1"))
                .hasValueSatisfying(v -> assertThat(new String(v, StandardCharsets.UTF_8))
                        .isEqualTo("{\"ip_or_host_name\":\"127.0.0.1\",\"rpc_port\":15200}\n"));
        assertThat(redis.rawGet("alice", "alicesecret", 0, "mooncake/rpc_meta/auth:1")).isEmpty();
    }

    @Test
    void passwordAloneAuthenticatesTheDefaultUser() {
        try (KvSegmentDirectory d = open(Map.of("MC_REDIS_PASSWORD", "defaultsecret"))) {
            d.publish(SegmentDescriptor.tcp("auth:2", 1, 2, List.of()), new RpcMeta("127.0.0.1", 15201));
            assertThat(d.resolveRpc("auth:2").rpcPort()).isEqualTo(15201);
        }
    }

    @Test
    void wrongPasswordFailsNamingTheVariables() {
        assertThatThrownBy(() -> open(Map.of("MC_REDIS_USERNAME", "alice", "MC_REDIS_PASSWORD", "nope")))
                .isInstanceOf(MetadataUnavailableException.class)
                .hasMessageContaining(redis.connectionString())
                .hasMessageContaining("MC_REDIS_USERNAME and MC_REDIS_PASSWORD")
                .hasMessageNotContaining("nope");
    }

    @Test
    void missingPasswordFailsSayingToSetIt() {
        assertThatThrownBy(() -> open(Map.of()).resolveRpc("x:1"))
                .isInstanceOf(MetadataUnavailableException.class)
                .hasMessageContaining("set MC_REDIS_PASSWORD");
    }

    @Test
    void outOfRangeDatabaseIndexFallsBackToZeroLikeTheReference() {
        assertThat(RedisMetadataStore.Settings.fromEnvironment(Map.of("MC_REDIS_DB_INDEX", "300")).database())
                .isZero();
        assertThat(RedisMetadataStore.Settings.fromEnvironment(Map.of("MC_REDIS_DB_INDEX", "x")).database()).isZero();
        assertThat(RedisMetadataStore.Settings.fromEnvironment(Map.of("MC_REDIS_DB_INDEX", "255")).database())
                .isEqualTo(255);
    }
}
