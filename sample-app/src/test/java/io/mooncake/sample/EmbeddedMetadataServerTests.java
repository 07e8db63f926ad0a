package io.mooncake.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.metadata.http.HttpMetadataServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * One instance runs the HTTP metadata server inside itself; a second finds it through that server
 * (no P2P names) and pulls a block through its engine.
 */
class EmbeddedMetadataServerTests {

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void secondInstanceFindsTheFirstThroughItsEmbeddedMetadataServer() throws Exception {
        try (ConfigurableApplicationContext first = start("--sample.metadata-server.enabled=true",
                "--sample.metadata-server.port=0", "--mooncake.local-hostname=127.0.0.1:17101")) {
            HttpMetadataServer server = first.getBean(HttpMetadataServer.class);
            MooncakeEngine firstEngine = first.getBean(MooncakeEngine.class);
            assertThat(firstEngine.metadataDescription()).contains(String.valueOf(server.port()));
            assertThat(server.size()).as("rpc_meta and ram keys of the first instance").isEqualTo(2);

            try (ConfigurableApplicationContext second = start("--mooncake.local-hostname=127.0.0.1:17102",
                    "--mooncake.metadata-server=http://127.0.0.1:" + server.port() + "/metadata")) {
                assertThat(server.size()).isEqualTo(4);
                byte[] data = new byte[200_000];
                new Random(3).nextBytes(data);
                int firstPort = port(first);
                assertThat(send("PUT", firstPort, "/blocks/b", data).statusCode()).isEqualTo(201);
                HttpResponse<byte[]> pulled = send("GET", port(second), "/peers/127.0.0.1:" + firstPort + "/blocks/b",
                        null);
                assertThat(pulled.statusCode()).isEqualTo(200);
                assertThat(pulled.body()).isEqualTo(data);
                assertThat(second.getBean(MooncakeEngine.class).peers()).extracting(p -> p.name())
                        .contains("127.0.0.1:17101");
            }
            assertThat(server.size()).as("the second withdrew its keys on close").isEqualTo(2);
        }
    }

    private static ConfigurableApplicationContext start(String... args) {
        String[] all = new String[args.length + 5];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--server.port=0";
        all[args.length + 1] = "--mooncake.handshake-port=0";
        all[args.length + 2] = "--mooncake.global-segment-size=4MB";
        all[args.length + 3] = "--mooncake.local-buffer-size=2MB";
        all[args.length + 4] = "--spring.main.banner-mode=off";
        return new SpringApplicationBuilder(SampleApplication.class).run(all);
    }

    private static int port(ConfigurableApplicationContext context) {
        return Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
    }

    private HttpResponse<byte[]> send(String method, int port, String path, byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
        b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.header("Content-Type", "application/octet-stream")
                        .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        return this.http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }
}
