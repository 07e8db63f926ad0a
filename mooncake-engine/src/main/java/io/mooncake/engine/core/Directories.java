package io.mooncake.engine.core;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.metadata.MetadataConnection;
import io.mooncake.engine.metadata.SegmentDirectory;

/** Opens the segment directory of a key-value metadata connection. */
final class Directories {

    private Directories() {
    }

    static SegmentDirectory open(MetadataConnection connection, EngineConfig config) {
        throw new MooncakeException(ErrorCode.NOT_IMPLEMENTED, "metadata server '" + connection.original()
                + "' (" + connection.scheme() + ") is not supported yet; use P2PHANDSHAKE");
    }
}
