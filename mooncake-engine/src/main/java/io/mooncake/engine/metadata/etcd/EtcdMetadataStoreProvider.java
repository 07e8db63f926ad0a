package io.mooncake.engine.metadata.etcd;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.metadata.MetadataConnection;
import io.mooncake.engine.metadata.MetadataStore;
import io.mooncake.engine.metadata.MetadataStoreProvider;
import io.mooncake.engine.metadata.MetadataUnavailableException;
import java.util.function.Predicate;

/**
 * The {@link MetadataStoreProvider} for {@code etcd://h1:2379,h2:2379} and bare {@code host:port}
 * connection strings. jetcd ({@code io.etcd:jetcd-core}) is an optional dependency: without it on
 * the classpath, {@link #create} fails with a message saying what to add. This class itself
 * references no jetcd type, so it always loads.
 */
public final class EtcdMetadataStoreProvider implements MetadataStoreProvider {

    static final String CLIENT_CLASS = "io.etcd.jetcd.Client";

    private final Predicate<String> classPresent;

    public EtcdMetadataStoreProvider() {
        this(EtcdMetadataStoreProvider::onClasspath);
    }

    /** For tests: decides whether a class counts as present. */
    EtcdMetadataStoreProvider(Predicate<String> classPresent) {
        this.classPresent = classPresent;
    }

    @Override
    public boolean supports(MetadataConnection connection) {
        return "etcd".equals(connection.scheme());
    }

    @Override
    public MetadataStore create(MetadataConnection connection, EngineConfig config) {
        if (!classPresent.test(CLIENT_CLASS)) {
            throw new MetadataUnavailableException("metadata server '" + connection.original() + "' needs the etcd"
                    + " client io.etcd:jetcd-core (0.8.7) on the classpath, an optional dependency of mooncake-engine;"
                    + " add it to your build or use P2PHANDSHAKE, http:// or redis://");
        }
        return new EtcdMetadataStore(connection.original(), connection.endpoints(), config.connectTimeout(),
                config.metadataTtl());
    }

    static boolean onClasspath(String className) {
        try {
            Class.forName(className, false, EtcdMetadataStoreProvider.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
