package io.mooncake.engine.interop;

import java.io.IOException;

/**
 * Interop through the reference's own Python HTTP metadata server ({@code bootstrap_server.py},
 * unchanged), which refuses a second PUT of an {@code rpc_meta} key with HTTP 400
 * "Duplicate rpc_meta key not allowed".
 */
class ReferenceMetadataServerInteropTests extends MetadataServerInteropContractTests {

    private String url;

    @Override
    protected String metadata() throws IOException {
        if (url == null) {
            url = closeLater(reference.startMetadataServer()).url();
        }
        return url;
    }
}
