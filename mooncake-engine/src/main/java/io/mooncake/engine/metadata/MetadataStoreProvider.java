package io.mooncake.engine.metadata;

import io.mooncake.engine.config.EngineConfig;

/**
 * Creates a {@link MetadataStore} for one connection-string scheme. Found with
 * {@link java.util.ServiceLoader}; the engine asks each provider whether it
 * {@link #supports(MetadataConnection) supports} the parsed connection string.
 */
public interface MetadataStoreProvider {

    /** Whether this provider serves the connection's scheme (etcd, http, redis). */
    boolean supports(MetadataConnection connection);

    /** Opens a store; throws {@link MetadataUnavailableException} when the service cannot be reached. */
    MetadataStore create(MetadataConnection connection, EngineConfig config);
}
