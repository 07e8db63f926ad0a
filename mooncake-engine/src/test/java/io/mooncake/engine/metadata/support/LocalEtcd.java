package io.mooncake.engine.metadata.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A JUnit extension that runs a real single-member etcd (the {@code etcd} binary from Debian's
 * {@code etcd-server}, found on {@code PATH} or in {@code ETCD_BIN}) on free loopback client and
 * peer ports with a temporary data directory. Register it as a static field with
 * {@code @RegisterExtension}. A missing binary fails the tests: CI installs it.
 *
 * <p>{@link #rawGet} reads a value through etcd's JSON gateway, independently of jetcd, so tests
 * see exactly the stored bytes.
 */
public final class LocalEtcd implements BeforeAllCallback, AfterAllCallback {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private Path dir;
    private int clientPort;
    private int peerPort;
    private Process process;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        dir = Files.createTempDirectory("mooncake-etcd-");
        clientPort = ServerBinaries.freePort();
        peerPort = ServerBinaries.freePort();
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        stop();
        ServerBinaries.deleteTree(dir);
    }

    /** {@code 127.0.0.1:<client port>}. */
    public String endpoint() {
        return "127.0.0.1:" + clientPort;
    }

    /** {@code etcd://127.0.0.1:<client port>}. */
    public String connectionString() {
        return "etcd://" + endpoint();
    }

    /** Starts etcd (again) on the same ports and data directory, and waits until it is healthy. */
    public synchronized void start() {
        if (process != null && process.isAlive()) {
            return;
        }
        Path bin = ServerBinaries.find("etcd", "ETCD_BIN", "etcd-server etcd-client");
        String client = "http://127.0.0.1:" + clientPort;
        String peer = "http://127.0.0.1:" + peerPort;
        Path log = dir.resolve("etcd.log");
        try {
            process = new ProcessBuilder(List.of(bin.toString(), "--name", "test", "--data-dir",
                    dir.resolve("data").toString(), "--listen-client-urls", client, "--advertise-client-urls", client,
                    "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster",
                    "test=" + peer, "--initial-cluster-state", "new", "--heartbeat-interval", "50",
                    "--election-timeout", "250", "--log-level", "warn"))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + bin, e);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("etcd exited with " + process.exitValue() + ":\n"
                        + ServerBinaries.tail(log));
            }
            if (healthy()) {
                return;
            }
            sleep(50);
        }
        throw new IllegalStateException("etcd on " + client + " not healthy within 20 s:\n" + ServerBinaries.tail(log));
    }

    /** Stops etcd (SIGTERM), keeping its data for {@link #start()}. */
    public synchronized void stop() {
        ServerBinaries.stop(process);
    }

    /** The value under {@code key}, read through the gateway, byte for byte. */
    public Optional<byte[]> rawGet(String key) {
        String body = "{\"key\":\"" + Base64.getEncoder().encodeToString(key.getBytes(StandardCharsets.UTF_8)) + "\"}";
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + endpoint() + "/v3/kv/range"))
                    .timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("etcd gateway answered " + r.statusCode() + ": " + r.body());
            }
            JsonNode kvs = JSON.readTree(r.body()).path("kvs");
            if (kvs.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(Base64.getDecoder().decode(kvs.get(0).path("value").asString("")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Revokes a lease through the gateway, as an operator (or a long outage) would end it. */
    public void revokeLease(long id) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + endpoint()
                    + "/v3/lease/revoke")).timeout(Duration.ofSeconds(5))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"ID\":\"" + id + "\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("etcd gateway answered " + r.statusCode() + ": " + r.body());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private boolean healthy() {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + endpoint() + "/health"))
                    .timeout(Duration.ofSeconds(1)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 && r.body().contains("true");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
