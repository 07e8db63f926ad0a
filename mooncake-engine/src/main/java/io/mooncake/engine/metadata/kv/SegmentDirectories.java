package io.mooncake.engine.metadata.kv;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.metadata.MetadataConnection;
import io.mooncake.engine.metadata.MetadataStore;
import io.mooncake.engine.metadata.MetadataStoreProvider;
import io.mooncake.engine.metadata.MetadataUnavailableException;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a {@link KvSegmentDirectory} for a key-value connection string (etcd, http, https, redis)
 * with the {@link MetadataStoreProvider} that {@link ServiceLoader} finds for its scheme.
 */
public final class SegmentDirectories {

    private static final Logger log = LoggerFactory.getLogger(SegmentDirectories.class);

    private SegmentDirectories() {
    }

    /**
     * Opens a directory for {@code connection} with the providers on this class's class loader.
     *
     * @throws MooncakeException {@link ErrorCode#INVALID_ARGUMENT} for {@code P2PHANDSHAKE}, which needs no store
     * @throws MetadataUnavailableException when no provider serves the scheme, its client library
     *     is missing, or the service cannot be reached
     */
    public static KvSegmentDirectory open(MetadataConnection connection, EngineConfig config) {
        return open(connection, config, providers(SegmentDirectories.class.getClassLoader()));
    }

    /** Opens a directory with the given providers, tried in order. */
    public static KvSegmentDirectory open(MetadataConnection connection, EngineConfig config,
            Iterable<MetadataStoreProvider> providers) {
        MetadataStore store = openStore(connection, config, providers);
        try {
            return new KvSegmentDirectory(store, config);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /** Opens just the store, with the first provider that supports the connection's scheme. */
    public static MetadataStore openStore(MetadataConnection connection, EngineConfig config,
            Iterable<MetadataStoreProvider> providers) {
        if (connection.isP2p()) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "metadata server '" + connection.original()
                    + "' needs no key-value store; peers exchange descriptors directly (P2pSegmentDirectory)");
        }
        List<String> seen = new ArrayList<>();
        for (MetadataStoreProvider p : providers) {
            seen.add(p.getClass().getName());
            if (p.supports(connection)) {
                log.debug("Metadata provider {} serves '{}'", p.getClass().getName(), connection.original());
                return p.create(connection, config);
            }
        }
        throw new MetadataUnavailableException("no metadata store provider supports scheme '" + connection.scheme()
                + "' of metadata server '" + connection.original() + "' (providers found: " + seen
                + "); put mooncake-engine's META-INF/services entries on the classpath or use P2PHANDSHAKE");
    }

    /** The providers listed in {@code META-INF/services} visible to {@code loader}; broken entries are skipped. */
    public static List<MetadataStoreProvider> providers(ClassLoader loader) {
        List<MetadataStoreProvider> found = new ArrayList<>();
        var it = ServiceLoader.load(MetadataStoreProvider.class, loader).iterator();
        while (true) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                found.add(it.next());
            } catch (ServiceConfigurationError e) {
                log.warn("Skipping a metadata store provider that cannot be loaded: {}", e.getMessage());
            }
        }
        return found;
    }
}
