package io.mooncake.engine.core.discovery;

import io.mooncake.engine.metadata.http.HttpMetadataServer;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Engines over the embedded HTTP metadata server. */
class HttpEngineDiscoveryTests extends EngineDiscoveryContractTests {

    private static HttpMetadataServer server;

    @BeforeAll
    static void startServer() throws IOException {
        server = HttpMetadataServer.builder().host("127.0.0.1").port(0).ttl(Duration.ofSeconds(10)).start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Override
    protected String connectionString() {
        return server.url();
    }
}
