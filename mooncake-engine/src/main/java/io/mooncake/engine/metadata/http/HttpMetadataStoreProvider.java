package io.mooncake.engine.metadata.http;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.metadata.MetadataConnection;
import io.mooncake.engine.metadata.MetadataStore;
import io.mooncake.engine.metadata.MetadataStoreProvider;
import java.net.URI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link MetadataStoreProvider} for {@code http://} and {@code https://} metadata servers; needs
 * only the JDK's {@link java.net.http.HttpClient}.
 */
public final class HttpMetadataStoreProvider implements MetadataStoreProvider {

    private static final Logger log = LoggerFactory.getLogger(HttpMetadataStoreProvider.class);

    @Override
    public boolean supports(MetadataConnection connection) {
        return "http".equals(connection.scheme()) || "https".equals(connection.scheme());
    }

    @Override
    public MetadataStore create(MetadataConnection connection, EngineConfig config) {
        String base = connection.endpoints().get(0);
        URI uri;
        try {
            uri = URI.create(base);
        } catch (IllegalArgumentException e) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "metadata server '" + connection.original()
                    + "' is not a valid URL: " + e.getMessage() + "; use http://host:port/metadata", e);
        }
        if (uri.getHost() == null) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "metadata server '" + connection.original()
                    + "' has no host; use http://host:port/metadata");
        }
        HttpMetadataStore store = new HttpMetadataStore(base, config.metadataTtl());
        try {
            store.checkReachable();
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        log.debug("Connected to HTTP metadata server {}", store.describe());
        return store;
    }
}
