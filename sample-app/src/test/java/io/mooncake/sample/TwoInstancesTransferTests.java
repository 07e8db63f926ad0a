package io.mooncake.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.autoconfigure.MooncakeGlobalSegment;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.stats.TransferStats;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Two instances of the sample (random HTTP and handshake ports) move real blocks through their
 * engines: one is this test's context, the other is started beside it.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "mooncake.handshake-port=0", "mooncake.global-segment-size=8MB",
                "mooncake.local-buffer-size=4MB" })
class TwoInstancesTransferTests {

    private static ConfigurableApplicationContext other;

    private static int otherPort;

    private final HttpClient http = HttpClient.newHttpClient();

    @Value("${local.server.port}")
    int port;

    @Autowired
    MooncakeEngine engine;

    @Autowired
    MooncakeGlobalSegment segment;

    @BeforeAll
    static void startOtherInstance() {
        other = new SpringApplicationBuilder(SampleApplication.class).run("--server.port=0",
                "--mooncake.handshake-port=0", "--mooncake.global-segment-size=8MB", "--mooncake.local-buffer-size=4MB",
                "--spring.main.banner-mode=off");
        otherPort = Integer.parseInt(other.getEnvironment().getProperty("local.server.port"));
    }

    @AfterAll
    static void stopOtherInstance() {
        other.close();
    }

    @Test
    void blockPutOnOneInstanceIsPulledByTheOtherThroughTheEngine() throws Exception {
        byte[] data = random(3 << 20, 1);
        assertThat(send("PUT", otherPort, "/blocks/pulled", data).statusCode()).isEqualTo(201);
        long before = bytesMoved(this.engine);

        HttpResponse<byte[]> pulled = send("GET", this.port, "/peers/127.0.0.1:" + otherPort + "/blocks/pulled", null);

        assertThat(pulled.statusCode()).isEqualTo(200);
        assertThat(pulled.body()).isEqualTo(data);
        assertThat(bytesMoved(this.engine) - before).as("bytes read by this engine").isGreaterThanOrEqualTo(data.length);
        assertThat(send("GET", this.port, "/blocks/pulled", null).body()).as("stored locally").isEqualTo(data);
    }

    @Test
    void blockPushedFromOneInstanceIsReadableOnTheOther() throws Exception {
        byte[] data = random(1_000_003, 2);
        assertThat(send("PUT", this.port, "/blocks/pushed", data).statusCode()).isEqualTo(201);
        assertThat(send("GET", otherPort, "/blocks/pushed", null).statusCode()).isEqualTo(404);
        long before = bytesMoved(this.engine);

        HttpResponse<byte[]> pushed = send("POST", this.port, "/peers/127.0.0.1:" + otherPort + "/blocks/pushed", null);

        assertThat(pushed.statusCode()).isEqualTo(201);
        assertThat(bytesMoved(this.engine) - before).as("bytes written by this engine")
            .isGreaterThanOrEqualTo(data.length);
        HttpResponse<byte[]> atOther = send("GET", otherPort, "/blocks/pushed", null);
        assertThat(atOther.statusCode()).isEqualTo(200);
        assertThat(atOther.body()).isEqualTo(data);
    }

    @Test
    void directoryListsBlocksInTheGlobalSegment() throws Exception {
        send("PUT", this.port, "/blocks/listed", "hello".getBytes());
        String directory = new String(send("GET", this.port, "/blocks", null).body());
        assertThat(directory).contains("\"id\":\"listed\"").contains("\"length\":5")
            .contains("\"segment\":\"" + this.segment.segmentName() + "\"");
    }

    @Test
    void pullingAMissingBlockIsNotFound() throws Exception {
        assertThat(send("GET", this.port, "/peers/127.0.0.1:" + otherPort + "/blocks/missing", null).statusCode())
            .isEqualTo(404);
    }

    @Test
    void blockLargerThanTheSegmentIsRejected() throws Exception {
        assertThat(send("PUT", this.port, "/blocks/huge", new byte[9 << 20]).statusCode()).isEqualTo(507);
    }

    private HttpResponse<byte[]> send(String method, int port, String path, byte[] body)
            throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Content-Type", "application/octet-stream")
            .method(method, (body != null) ? HttpRequest.BodyPublishers.ofByteArray(body)
                    : HttpRequest.BodyPublishers.noBody())
            .build();
        return this.http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    private static long bytesMoved(MooncakeEngine engine) {
        TransferStats stats = engine.stats();
        return stats.snapshot().values().stream().flatMap(java.util.Arrays::stream).mapToLong(TransferStats.Counters::bytes)
            .sum();
    }

    private static byte[] random(int length, long seed) {
        byte[] data = new byte[length];
        new Random(seed).nextBytes(data);
        return data;
    }
}
