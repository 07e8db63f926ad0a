package io.mooncake.engine.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.metadata.http.HttpMetadataServer;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code host:port} in local-hostname names the handshake port in every mode (issue 16, item 1). */
class HostPortMeaningTest {

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static EngineConfig.Builder base() {
        return EngineConfig.builder().environment(Map.of("MC_DISABLE_TRANSPORTS", "local,shm")).ioThreads(1);
    }

    @Test
    void underP2pThePortIsTheHandshakePortAndPartOfTheName() throws Exception {
        int port = freePort();
        try (MooncakeEngine e = MooncakeEngine.start(base().localHostname("127.0.0.1:" + port).build())) {
            assertThat(e.rpcPort()).isEqualTo(port);
            assertThat(e.localSegmentName()).isEqualTo("127.0.0.1:" + port);
        }
    }

    @Test
    void withAMetadataServerThePortIsTheHandshakePortTooAndTheNameIsKept() throws Exception {
        try (HttpMetadataServer server = HttpMetadataServer.builder().host("127.0.0.1").port(0).start()) {
            int port;
            int dataPort;
            try (ServerSocket a = new ServerSocket(0); ServerSocket b = new ServerSocket(0)) {
                port = a.getLocalPort();
                dataPort = b.getLocalPort();
            }
            check(server, port, dataPort);
        }
    }

    private static void check(HttpMetadataServer server, int port, int dataPort) {
        try (MooncakeEngine e = MooncakeEngine.start(base().localHostname("127.0.0.1:" + port)
                        .metadataServer(server.url()).tcpDataPort(dataPort).build())) {
            assertThat(e.rpcPort()).isEqualTo(port);
            assertThat(e.localSegmentName()).isEqualTo("127.0.0.1:" + port);
            assertThat(e.localDescriptor().tcpDataPort()).isEqualTo(dataPort);
            assertThat(e.advertisedAddress().how()).contains("loopback name");
        }
    }
}
