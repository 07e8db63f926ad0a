package io.mooncake.sample;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The sample app's health, endpoint and meters as operators see them: two instances move blocks,
 * then every metric the Grafana dashboard queries is in a real scrape of /actuator/prometheus, and
 * a real Prometheus server (the Debian {@code prometheus} binary, started here on a free loopback
 * port with config-examples/prometheus/prometheus.yml) scrapes the app and answers the dashboard's
 * queries.
 *
 * <p>The instances request {@code rdma}: no host running this release has an rdma data path, so the
 * engine falls back to tcp and {@code mooncake.transport.fallbacks} has a series to show.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "mooncake.handshake-port=0", "mooncake.global-segment-size=8MB",
                "mooncake.local-buffer-size=4MB", "mooncake.protocol=rdma" })
class ObservabilityIntegrationTests {

    static final Path DASHBOARD = Path.of("..", "config-examples", "grafana", "mooncake-dashboard.json");

    static final Path PROMETHEUS_CONFIG = Path.of("..", "config-examples", "prometheus", "prometheus.yml");

    private static final JsonMapper json = JsonMapper.builder().build();

    private static ConfigurableApplicationContext other;

    private static int otherPort;

    private final HttpClient http = HttpClient.newHttpClient();

    @Value("${local.server.port}")
    int port;

    @TempDir
    static Path prometheusDir;

    @BeforeAll
    static void startOtherInstance() {
        other = new SpringApplicationBuilder(SampleApplication.class).run("--server.port=0",
                "--mooncake.handshake-port=0", "--mooncake.global-segment-size=8MB", "--mooncake.local-buffer-size=4MB",
                "--mooncake.protocol=rdma", "--spring.main.banner-mode=off");
        otherPort = Integer.parseInt(other.getEnvironment().getProperty("local.server.port"));
    }

    @AfterAll
    static void stopOtherInstance() {
        other.close();
    }

    @Test
    void everyMetricTheDashboardQueriesIsInTheScrapeAfterTraffic() throws Exception {
        moveBlocks();
        Set<String> names = dashboardMetricNames();
        assertThat(names).contains("mooncake_transfer_bytes_total", "mooncake_transfer_requests_seconds_bucket",
                "mooncake_transfer_failures_total", "mooncake_transfer_peer_bytes_total",
                "mooncake_transport_fallbacks_total");
        String scrape = get(this.port, "/actuator/prometheus");
        for (String name : names) {
            assertThat(Pattern.compile("(?m)^" + Pattern.quote(name) + "[{ ]").matcher(scrape).find())
                .as("metric %s of the dashboard in /actuator/prometheus", name)
                .isTrue();
        }
        assertThat(scrape).contains("peer=\"127.0.0.1:").contains("from=\"rdma\",reason=\"");
    }

    @Test
    void realPrometheusScrapesTheAppAndAnswersTheDashboardQueries() throws Exception {
        moveBlocks();
        try (LocalPrometheus prometheus = LocalPrometheus.start(prometheusDir, PROMETHEUS_CONFIG,
                "127.0.0.1:" + this.port)) {
            // Both instances run in this JVM, so the same-process transport carries the blocks.
            JsonNode bytes = prometheus.awaitResult("sum(mooncake_transfer_bytes_total{protocol=\"local\"})",
                    Duration.ofSeconds(30));
            assertThat(bytes.get(0).get("value").get(1).asString()).satisfies(
                    (v) -> assertThat(Double.parseDouble(v)).as("bytes moved").isGreaterThanOrEqualTo(2 << 20));
            for (String query : dashboardQueries()) {
                String promql = query.replace("$__rate_interval", "1m").replace("$instance", ".*");
                assertThat(prometheus.awaitResult(promql, Duration.ofSeconds(20))).as("result of %s", promql)
                    .isNotEmpty();
            }
        }
    }

    @Test
    void healthAndEndpointDescribeTheEngine() throws Exception {
        JsonNode health = json.readTree(get(this.port, "/actuator/health"));
        assertThat(health.get("status").asString()).isEqualTo("UP");
        JsonNode mooncake = health.get("components").get("mooncake");
        assertThat(mooncake.get("status").asString()).isEqualTo("UP");
        assertThat(mooncake.get("details").get("fallbacks").get("rdma").asString()).endsWith("-> tcp");
        assertThat(json.readTree(get(this.port, "/actuator/health/readiness")).get("status").asString())
            .isEqualTo("UP");
        assertThat(json.readTree(get(this.port, "/actuator/health/liveness")).get("status").asString())
            .isEqualTo("UP");

        JsonNode endpoint = json.readTree(get(this.port, "/actuator/mooncake"));
        assertThat(endpoint.get("selection").get("requested").get(0).asString()).isEqualTo("rdma");
        assertThat(endpoint.get("selection").get("primary").asString()).isEqualTo("tcp");
        assertThat(endpoint.get("registeredMemory").get(0).has("address")).isFalse();
        assertThat(endpoint.get("registeredMemory").get(0).get("length").asLong()).isPositive();
        assertThat(endpoint.get("hardware").get("probes").has("rdma")).isTrue();
    }

    /** Pulls one block and pushes another between the two instances, through the engines. */
    private void moveBlocks() throws Exception {
        byte[] data = new byte[2 << 20];
        new Random(7).nextBytes(data);
        assertThat(send("PUT", otherPort, "/blocks/observed", data).statusCode()).isEqualTo(201);
        assertThat(send("GET", this.port, "/peers/127.0.0.1:" + otherPort + "/blocks/observed", null).statusCode())
            .isEqualTo(200);
        assertThat(send("PUT", this.port, "/blocks/pushed-observed", data).statusCode()).isEqualTo(201);
        assertThat(send("POST", this.port, "/peers/127.0.0.1:" + otherPort + "/blocks/pushed-observed", null)
            .statusCode()).isIn(201, 409);
    }

    static List<String> dashboardQueries() throws IOException {
        JsonNode dashboard = json.readTree(Files.readString(DASHBOARD));
        List<String> queries = new ArrayList<>();
        for (JsonNode panel : dashboard.get("panels")) {
            for (JsonNode target : panel.get("targets")) {
                queries.add(target.get("expr").asString());
            }
        }
        for (JsonNode variable : dashboard.get("templating").get("list")) {
            Matcher m = Pattern.compile("label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)").matcher(
                    variable.get("query").asString());
            if (m.find()) {
                queries.add(m.group(1));
            }
        }
        return queries;
    }

    static Set<String> dashboardMetricNames() throws IOException {
        Set<String> names = new LinkedHashSet<>();
        for (String query : dashboardQueries()) {
            names.addAll(PromQl.metricNames(query));
        }
        return names;
    }

    private String get(int port, String path) throws IOException, InterruptedException {
        HttpResponse<String> response = this.http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("GET %s", path).isEqualTo(200);
        return response.body();
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

    static String urlEncode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
