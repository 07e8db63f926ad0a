package io.mooncake.engine.metadata.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.metadata.MetadataConnection;
import io.mooncake.engine.metadata.MetadataUnavailableException;
import org.junit.jupiter.api.Test;

/** The Redis provider when Lettuce is not on the classpath. */
class RedisMetadataStoreProviderTests {

    @Test
    void withoutLettuceOnTheClasspathCreateSaysWhatToAdd() {
        RedisMetadataStoreProvider p = new RedisMetadataStoreProvider(name -> false);
        MetadataConnection c = MetadataConnection.parse("redis://10.0.0.1");
        assertThat(p.supports(c)).isTrue();
        assertThatThrownBy(() -> p.create(c, EngineConfig.builder().metadataServer("redis://10.0.0.1").build()))
                .isInstanceOf(MetadataUnavailableException.class)
                .hasMessageContaining("'redis://10.0.0.1'")
                .hasMessageContaining("io.lettuce:lettuce-core")
                .hasMessageContaining("P2PHANDSHAKE");
        assertThat(RedisMetadataStoreProvider.onClasspath(RedisMetadataStoreProvider.CLIENT_CLASS)).isTrue();
    }
}
