package io.mooncake.sample;

import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real Prometheus server for a test: the {@code prometheus} binary (Debian package
 * {@code prometheus}; {@code PROMETHEUS_BIN} overrides the path) on a free loopback port, with
 * its own data directory, scraping one target every second. Fails, never skips, when the binary
 * is missing: CI installs it.
 */
final class LocalPrometheus implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalPrometheus.class);

    private static final JsonMapper json = JsonMapper.builder().build();

    private final Process process;

    private final int port;

    private final Path logFile;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private LocalPrometheus(Process process, int port, Path logFile) {
        this.process = process;
        this.port = port;
        this.logFile = logFile;
    }

    /**
     * Starts Prometheus with {@code exampleConfig}, its target replaced by {@code target} and its
     * scrape interval by 1s, and waits until it is ready.
     */
    static LocalPrometheus start(Path dir, Path exampleConfig, String target) throws Exception {
        String binary = binary();
        String config = Files.readString(exampleConfig)
            .replace("scrape_interval: 15s", "scrape_interval: 1s")
            .replace("'localhost:8080'", "'" + target + "'");
        if (!config.contains(target) || !config.contains("scrape_interval: 1s")) {
            fail("%s no longer has the target 'localhost:8080' and scrape_interval 15s this test replaces", exampleConfig);
        }
        Path configFile = Files.writeString(dir.resolve("prometheus.yml"), config);
        Path data = Files.createDirectories(dir.resolve("data"));
        Path logFile = dir.resolve("prometheus.log");
        int port = freePort();
        Process process = new ProcessBuilder(binary, "--config.file=" + configFile, "--storage.tsdb.path=" + data,
                "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
            .redirectErrorStream(true)
            .redirectOutput(logFile.toFile())
            .start();
        LocalPrometheus prometheus = new LocalPrometheus(process, port, logFile);
        try {
            prometheus.awaitReady(Duration.ofSeconds(30));
        }
        catch (Exception | AssertionError ex) {
            prometheus.close();
            throw ex;
        }
        log.info("Prometheus on 127.0.0.1:{} scraping {}", port, target);
        return prometheus;
    }

    private static String binary() {
        String configured = System.getenv("PROMETHEUS_BIN");
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, "prometheus");
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return fail("prometheus binary not found on PATH: install the Debian package 'prometheus' "
                + "(apt-get install -y prometheus) or set PROMETHEUS_BIN");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private void awaitReady(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!this.process.isAlive()) {
                fail("prometheus exited with %d: %s", this.process.exitValue(), Files.readString(this.logFile));
            }
            try {
                if (get("/-/ready").statusCode() == 200) {
                    return;
                }
            }
            catch (IOException ex) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        fail("prometheus not ready within %s: %s", timeout, Files.readString(this.logFile));
    }

    /** Runs an instant query until it returns a non-empty result; returns the result array. */
    JsonNode awaitResult(String promql, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            HttpResponse<String> response = get("/api/v1/query?query=" + ObservabilityIntegrationTests.urlEncode(promql));
            last = json.readTree(response.body());
            if (response.statusCode() != 200 || !"success".equals(last.get("status").asString())) {
                fail("query %s failed: %s", promql, response.body());
            }
            JsonNode result = last.get("data").get("result");
            if (!result.isEmpty()) {
                return result;
            }
            Thread.sleep(250);
        }
        return fail("query %s returned nothing within %s (last answer %s); targets: %s", promql, timeout, last,
                get("/api/v1/targets").body());
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return this.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
            .timeout(Duration.ofSeconds(5))
            .build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() throws InterruptedException {
        this.process.destroy();
        if (!this.process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
            this.process.destroyForcibly().waitFor();
        }
    }
}
