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
import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
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
    void withoutJetcdAndLettuceOnTheClasspathProvidersStillLoadAndSayWhatToAdd() throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.contains("jetcd") && !entry.contains("lettuce")) {
                urls.add(Path.of(entry).toUri().toURL());
            }
        }
        try (URLClassLoader loader = new URLClassLoader(urls.toArray(URL[]::new),
                ClassLoader.getPlatformClassLoader())) {
            assertThatThrownBy(() -> loader.loadClass("io.etcd.jetcd.Client"))
                    .isInstanceOf(ClassNotFoundException.class);
            assertThat(openIn(loader, "etcd://127.0.0.1:1")).isEqualTo(
                    "io.mooncake.engine.metadata.MetadataUnavailableException: metadata server 'etcd://127.0.0.1:1'"
                    + " needs the etcd client io.etcd:jetcd-core (0.8.7) on the classpath, an optional dependency of"
                    + " mooncake-engine; add it to your build or use P2PHANDSHAKE, http:// or redis://");
            assertThat(openIn(loader, "redis://127.0.0.1:1")).startsWith(
                    "io.mooncake.engine.metadata.MetadataUnavailableException: metadata server 'redis://127.0.0.1:1'"
                    + " needs the Redis client io.lettuce:lettuce-core on the classpath");
        }
    }

    /** Runs SegmentDirectories.open inside {@code loader}; returns the failure as "class: message". */
    private static String openIn(ClassLoader loader, String server) throws Exception {
        Class<?> connection = loader.loadClass(MetadataConnection.class.getName());
        Class<?> config = loader.loadClass(EngineConfig.class.getName());
        Object conn = connection.getMethod("parse", String.class).invoke(null, server);
        Object builder = config.getMethod("builder").invoke(null);
        builder.getClass().getMethod("metadataServer", String.class).invoke(builder, server);
        Object cfg = builder.getClass().getMethod("build").invoke(builder);
        Method open = loader.loadClass(SegmentDirectories.class.getName()).getMethod("open", connection, config);
        try {
            open.invoke(null, conn, cfg);
            return "no failure";
        } catch (InvocationTargetException e) {
            return e.getCause().getClass().getName() + ": " + e.getCause().getMessage();
        }
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
