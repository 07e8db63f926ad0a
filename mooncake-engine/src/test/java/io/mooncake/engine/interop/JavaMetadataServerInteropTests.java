package io.mooncake.engine.interop;

import io.mooncake.engine.metadata.http.HttpMetadataServer;
import java.io.IOException;

/** Interop through this project's HTTP metadata server, as reference nodes would use it (no TTL). */
class JavaMetadataServerInteropTests extends MetadataServerInteropContractTests {

    private String url;

    @Override
    protected String metadata() throws IOException {
        if (url == null) {
            url = closeLater(HttpMetadataServer.builder().host("127.0.0.1").port(0).start()).url();
        }
        return url;
    }
}
