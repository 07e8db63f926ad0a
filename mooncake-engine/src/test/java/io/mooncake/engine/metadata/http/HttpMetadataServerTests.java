package io.mooncake.engine.metadata.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.api.MooncakeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The embedded HTTP metadata server's protocol, spoken with a plain HTTP client. */
class HttpMetadataServerTests {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private static final Duration TTL = Duration.ofMillis(600);
    /** The server's clock: keys age only when a test advances it. */
    private static final AtomicLong now = new AtomicLong();
    private static HttpMetadataServer server;

    @BeforeAll
    static void start() throws IOException {
        server = HttpMetadataServer.builder().host("127.0.0.1").port(0).ttl(TTL).nanoClock(now::get).start();
    }

    private static void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static HttpResponse<String> call(String method, String url, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        try {
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** GET through plain HTTP; empty on 404. */
    static Optional<byte[]> rawGet(String base, String key) {
        HttpResponse<String> r = call("GET", base + "?key=" + HttpMetadataStore.escape(key), null);
        if (r.statusCode() == 404) {
            return Optional.empty();
        }
        assertThat(r.statusCode()).isEqualTo(200);
        return Optional.of(r.body().getBytes(StandardCharsets.UTF_8));
    }

    private static String keyUrl(String key) {
        return server.url() + "?key=" + HttpMetadataStore.escape(key);
    }

    @Test
    void getOfAMissingKeyIs404MetadataNotFound() {
        HttpResponse<String> r = call("GET", keyUrl("mooncake/ram/missing"), null);
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).isEqualTo("metadata not found");
    }

    @Test
    void putIs200AndGetReturnsTheBodyAsJson() {
        String key = "mooncake/ram/node-a:12345";
        HttpResponse<String> put = call("PUT", keyUrl(key), "{\"name\":\"node-a:12345\"}");
        assertThat(put.statusCode()).isEqualTo(200);
        assertThat(put.body()).isEqualTo("metadata updated");
        assertThat(put.headers().firstValue(HttpMetadataServer.TTL_HEADER)).hasValue("600");

        HttpResponse<String> get = call("GET", keyUrl(key), null);
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.body()).isEqualTo("{\"name\":\"node-a:12345\"}");
        assertThat(get.headers().firstValue("Content-Type")).hasValue("application/json");
        // the reference client's escaping decodes
        assertThat(call("GET", server.url() + "?key=mooncake%2Fram%2Fnode-a%3A12345", null).statusCode())
                .isEqualTo(200);
    }

    @Test
    void deleteRemovesTheKeyAndDeletingAMissingKeyIsAlso200() {
        String key = "mooncake/rpc_meta/del:1";
        call("PUT", keyUrl(key), "{}");
        assertThat(call("DELETE", keyUrl(key), null).statusCode()).isEqualTo(200);
        assertThat(call("GET", keyUrl(key), null).statusCode()).isEqualTo(404);
        assertThat(call("DELETE", keyUrl(key), null).statusCode()).isEqualTo(200);
    }

    @Test
    void reRegistrationOfARestartedNodesRpcMetaIsAccepted() {
        String key = "mooncake/rpc_meta/node-r:1";
        assertThat(call("PUT", keyUrl(key), "{\"ip_or_host_name\":\"10.0.0.1\",\"rpc_port\":15001}").statusCode())
                .isEqualTo(200);
        HttpResponse<String> again = call("PUT", keyUrl(key), "{\"ip_or_host_name\":\"10.0.0.1\",\"rpc_port\":15002}");
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(call("GET", keyUrl(key), null).body()).contains("15002");
    }

    @Test
    void aKeyNotRefreshedWithinTheTtlExpiresWhileARefreshedOneStays() {
        String stale = "mooncake/ram/stale:1";
        String fresh = "mooncake/ram/fresh:1";
        call("PUT", keyUrl(stale), "{}");
        call("PUT", keyUrl(fresh), "{}");
        for (int i = 0; i < 10; i++) {
            advance(TTL.dividedBy(4));
            call("PUT", keyUrl(fresh), "{}");
        }
        assertThat(call("GET", keyUrl(stale), null).statusCode()).isEqualTo(404);
        assertThat(call("GET", keyUrl(fresh), null).statusCode()).isEqualTo(200);

        advance(TTL); // exactly the TTL since its last PUT: still there
        assertThat(call("GET", keyUrl(fresh), null).statusCode()).isEqualTo(200);
        advance(Duration.ofNanos(1));
        assertThat(call("GET", keyUrl(fresh), null).statusCode()).isEqualTo(404);
    }

    @Test
    void theExpirySweepRemovesOnlyKeysOlderThanTheTtl() throws IOException {
        AtomicLong clock = new AtomicLong();
        try (HttpMetadataServer own = HttpMetadataServer.builder().host("127.0.0.1").port(0).ttl(TTL)
                .nanoClock(clock::get).start()) {
            String old = own.url() + "?key=old";
            String young = own.url() + "?key=young";
            call("PUT", old, "{}");
            clock.addAndGet(TTL.dividedBy(2).toNanos());
            call("PUT", young, "{}");
            clock.addAndGet(TTL.dividedBy(2).plusMillis(1).toNanos());

            own.expire();

            assertThat(own.size()).as("keys left after the sweep").isEqualTo(1);
            assertThat(call("GET", young, null).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void badRequestsGetTheReferenceStatuses() {
        assertThat(call("GET", server.url(), null).statusCode()).isEqualTo(400);
        assertThat(call("PUT", server.url() + "?key=", "{}").statusCode()).isEqualTo(400);
        HttpResponse<String> post = call("POST", keyUrl("k"), "{}");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).hasValue("GET, PUT, DELETE");
        assertThat(call("GET", server.url().replace("/metadata", "/other") + "?key=k", null).statusCode())
                .isEqualTo(404);
        HttpResponse<String> health = call("GET", server.url().replace("/metadata", "/health"), null);
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEqualTo("OK");
    }

    @Test
    void withoutTtlKeysNeverExpireAndNoTtlHeaderIsSent() throws IOException {
        AtomicLong clock = new AtomicLong();
        try (HttpMetadataServer plain = HttpMetadataServer.builder().host("127.0.0.1").port(0)
                .nanoClock(clock::get).start()) {
            String url = plain.url() + "?key=k";
            HttpResponse<String> put = call("PUT", url, "{}");
            assertThat(put.headers().firstValue(HttpMetadataServer.TTL_HEADER)).isEmpty();
            clock.addAndGet(Duration.ofDays(365).toNanos());
            plain.expire();
            assertThat(call("GET", url, null).statusCode()).isEqualTo(200);
            assertThat(plain.ttl()).isZero();
            assertThat(plain.size()).isEqualTo(1);
        }
    }

    @Test
    void mainParsesItsOptions() {
        HttpMetadataServer.Builder b = HttpMetadataServerMain.parse(new String[] {"--port", "0", "--host=127.0.0.1",
            "--ttl", "500ms", "--path", "/md"});
        assertThat(b).isNotNull();
        assertThat(HttpMetadataServerMain.parse(new String[] {"--help"})).isNull();
        assertThat(HttpMetadataServerMain.parseDuration("30")).isEqualTo(Duration.ofSeconds(30));
        assertThat(HttpMetadataServerMain.parseDuration("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThatThrownBy(() -> HttpMetadataServerMain.parse(new String[] {"--bogus", "1"}))
                .isInstanceOf(MooncakeException.class).hasMessageContaining("unknown option '--bogus'");
        assertThatThrownBy(() -> HttpMetadataServerMain.parse(new String[] {"--port", "70000"}))
                .isInstanceOf(MooncakeException.class).hasMessageContaining("invalid port 70000");
        assertThatThrownBy(() -> HttpMetadataServerMain.parse(new String[] {"--ttl", "soon"}))
                .isInstanceOf(MooncakeException.class).hasMessageContaining("invalid --ttl 'soon'");
    }

    @Test
    void mainServesUntilStopped() throws Exception {
        // the documented command, in a child JVM
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (io.mooncake.engine.metadata.support.ChildJvm child = io.mooncake.engine.metadata.support.ChildJvm
                .start(HttpMetadataServerMain.class, "Mooncake HTTP metadata server listening", Duration.ofSeconds(20), "--port", Integer.toString(port),
                        "--host", "127.0.0.1")) {
            assertThat(child.output()).contains("clients use http://<this host>:" + port + "/metadata");
            String url = "http://127.0.0.1:" + port + "/metadata?key=k";
            assertThat(call("PUT", url, "{}").statusCode()).isEqualTo(200);
            assertThat(call("GET", url, null).body()).isEqualTo("{}");
        }
    }
}
