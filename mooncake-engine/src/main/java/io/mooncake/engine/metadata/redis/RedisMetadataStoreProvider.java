package io.mooncake.engine.metadata.redis;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.metadata.MetadataConnection;
import io.mooncake.engine.metadata.MetadataStore;
import io.mooncake.engine.metadata.MetadataStoreProvider;
import io.mooncake.engine.metadata.MetadataUnavailableException;
import java.util.function.Predicate;

/**
 * The {@link MetadataStoreProvider} for {@code redis://host[:port]} connection strings. Lettuce
 * ({@code io.lettuce:lettuce-core}) is an optional dependency: without it on the classpath,
 * {@link #create} fails with a message saying what to add. This class itself references no
 * Lettuce type, so it always loads.
 */
public final class RedisMetadataStoreProvider implements MetadataStoreProvider {

    static final String CLIENT_CLASS = "io.lettuce.core.RedisClient";

    private final Predicate<String> classPresent;

    public RedisMetadataStoreProvider() {
        this(RedisMetadataStoreProvider::onClasspath);
    }

    /** For tests: decides whether a class counts as present. */
    RedisMetadataStoreProvider(Predicate<String> classPresent) {
        this.classPresent = classPresent;
    }

    @Override
    public boolean supports(MetadataConnection connection) {
        return "redis".equals(connection.scheme());
    }

    @Override
    public MetadataStore create(MetadataConnection connection, EngineConfig config) {
        if (!classPresent.test(CLIENT_CLASS)) {
            throw new MetadataUnavailableException("metadata server '" + connection.original() + "' needs the Redis"
                    + " client io.lettuce:lettuce-core on the classpath, an optional dependency of mooncake-engine"
                    + " (the Spring Boot BOM manages its version); add it to your build or use P2PHANDSHAKE, etcd://"
                    + " or http://");
        }
        return new RedisMetadataStore(connection.original(), connection.endpoints().get(0),
                RedisMetadataStore.Settings.fromEnvironment(config.environment()), config.connectTimeout(),
                config.metadataTtl());
    }

    static boolean onClasspath(String className) {
        try {
            Class.forName(className, false, RedisMetadataStoreProvider.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
