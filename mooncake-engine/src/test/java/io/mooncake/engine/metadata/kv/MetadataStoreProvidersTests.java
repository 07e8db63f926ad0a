package io.mooncake.engine.metadata.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.metadata.MetadataConnection;
import io.mooncake.engine.metadata.MetadataStoreProvider;
import io.mooncake.engine.metadata.MetadataUnavailableException;
import io.mooncake.engine.metadata.etcd.EtcdMetadataStoreProvider;
import io.mooncake.engine.metadata.http.HttpMetadataStoreProvider;
import io.mooncake.engine.metadata.redis.RedisMetadataStoreProvider;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How providers are found and how a missing one, or a missing client library, is reported. */
class MetadataStoreProvidersTests {

    private static final EngineConfig CONFIG = EngineConfig.builder().metadataServer("etcd://127.0.0.1:1").build();

    @Test
    void serviceLoaderFindsTheEtcdHttpAndRedisProviders() {
        List<MetadataStoreProvider> found = SegmentDirectories.providers(getClass().getClassLoader());
        assertThat(found).extracting(p -> p.getClass().getSimpleName()).containsExactlyInAnyOrder(
                "EtcdMetadataStoreProvider", "HttpMetadataStoreProvider", "RedisMetadataStoreProvider");
        assertThat(found).filteredOn(p -> p.supports(MetadataConnection.parse("10.0.0.1:2379"))).hasSize(1)
                .first().isInstanceOf(EtcdMetadataStoreProvider.class);
        assertThat(found).filteredOn(p -> p.supports(MetadataConnection.parse("https://h/metadata"))).hasSize(1)
                .first().isInstanceOf(HttpMetadataStoreProvider.class);
        assertThat(found).filteredOn(p -> p.supports(MetadataConnection.parse("redis://h"))).hasSize(1)
                .first().isInstanceOf(RedisMetadataStoreProvider.class);
    }

    @Test
    void p2pHandshakeNeedsNoStoreAndSaysSo() {
        assertThatThrownBy(() -> SegmentDirectories.open(MetadataConnection.parse("P2PHANDSHAKE"), CONFIG))
                .isInstanceOf(MooncakeException.class).hasMessageContaining("P2PHANDSHAKE")
                .hasMessageContaining("peers exchange descriptors directly")
                .satisfies(e -> assertThat(((MooncakeException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }

    @Test
    void aSchemeWithoutAProviderFailsListingWhatWasFound() {
        assertThatThrownBy(() -> SegmentDirectories.open(MetadataConnection.parse("redis://h:1"), CONFIG,
                List.of(new HttpMetadataStoreProvider())))
                .isInstanceOf(MetadataUnavailableException.class)
                .hasMessageContaining("no metadata store provider supports scheme 'redis'")
                .hasMessageContaining("HttpMetadataStoreProvider");
    }
}
