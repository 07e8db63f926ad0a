package io.mooncake.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.kubernetes.discovery.MooncakePeer;
import io.mooncake.kubernetes.discovery.MooncakePeerDiscovery;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code GET /peers} lists what discovery found and probes each ready peer through the engine.
 * Discovery itself (the pods of a headless Service) is tested against fabric8's mock API server in
 * mooncake-kubernetes; that server runs on Vert.x 4 and cannot share this module's classpath with
 * jetcd, so here a fixed list stands in for it: this instance, a real second engine on loopback, a
 * dead address and a pod that is not ready.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "mooncake.handshake-port=0", "mooncake.global-segment-size=4MB" })
class PeersEndpointTests {

    static final TransferEngine other = MooncakeEngine.start(EngineConfig.builder().localHostname("127.0.0.1")
        .handshakePort(0).tcpDataPort(0).build());

    @Value("${local.server.port}")
    int port;

    @Autowired
    TransferEngine engine;

    @AfterAll
    static void stopOther() {
        other.close();
    }

    @Test
    void peersAreListedWithTheirSegmentHttpAddressAndReachability() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/peers")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode peers = JsonMapper.builder().build().readTree(response.body());
        assertThat(peers.size()).isEqualTo(4);
        assertThat(peers.get(0).path("name").asString()).isEqualTo("pod-0");
        assertThat(peers.get(0).path("self").asBoolean()).isTrue();
        assertThat(peers.get(0).path("segment").asString()).isEqualTo(this.engine.localSegmentName());
        assertThat(peers.get(0).path("http").asString()).isEqualTo("127.0.0.1:" + this.port);
        assertThat(peers.get(1).path("segment").asString()).isEqualTo(other.localSegmentName());
        assertThat(peers.get(1).path("reachable").asBoolean()).as("live engine probed").isTrue();
        assertThat(peers.get(2).path("reachable").asBoolean()).as("dead address probed").isFalse();
        assertThat(peers.get(3).path("ready").asBoolean()).isFalse();
        assertThat(peers.get(3).path("reachable").isNull()).as("not-ready pod not probed").isTrue();
    }

    @TestConfiguration
    static class FixedPeers {

        @Bean
        MooncakePeerDiscovery fixedPeers(TransferEngine engine, Environment environment) {
            return () -> List.of(
                    new MooncakePeer("pod-0", "127.0.0.1", "127.0.0.1", engine.localSegmentName(),
                            environment.getProperty("local.server.port", Integer.class), true, true),
                    peer("pod-1", other.localSegmentName(), true), peer("pod-2", "127.0.0.1:1", true),
                    peer("pod-3", "127.0.0.1:2", false));
        }
    }

    static MooncakePeer peer(String name, String segment, boolean ready) {
        return new MooncakePeer(name, "127.0.0.1", "127.0.0.1", segment, null, ready, false);
    }
}
