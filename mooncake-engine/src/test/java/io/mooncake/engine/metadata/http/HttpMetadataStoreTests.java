package io.mooncake.engine.metadata.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.metadata.MetadataConnection;
import io.mooncake.engine.metadata.MetadataUnavailableException;
import io.mooncake.engine.metadata.RpcMeta;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.metadata.kv.KvSegmentDirectory;
import io.mooncake.engine.metadata.kv.MetadataBackendContractTests;
import io.mooncake.engine.metadata.kv.SegmentDirectories;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The metadata contract against the embedded {@link HttpMetadataServer}, plus the client's HTTP details. */
class HttpMetadataStoreTests extends MetadataBackendContractTests {

    private static HttpMetadataServer server;

    @BeforeAll
    static void startServer() throws IOException {
        server = HttpMetadataServer.builder().host("127.0.0.1").port(0).ttl(Duration.ofSeconds(2)).start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Override
    protected String connectionString() {
        return server.url();
    }

    @Override
    protected Optional<byte[]> rawGet(String key) {
        return HttpMetadataServerTests.rawGet(server.url(), key);
    }

    @Override
    protected boolean storesTrailingNewline() {
        return false; // the reference's HTTP client sends bodies without it
    }

    @Override
    protected Duration changeDetectionRefresh() {
        return Duration.ofMillis(200);
    }

    @Test
    void keysAreEscapedLikeCurlEasyEscape() {
        HttpMetadataStore s = new HttpMetadataStore("http://h:8080/metadata", Duration.ofSeconds(10));
        try {
            assertThat(s.url("mooncake/ram/node-a:12345"))
                    .isEqualTo("http://h:8080/metadata?key=mooncake%2Fram%2Fnode-a%3A12345");
            assertThat(HttpMetadataStore.escape("a b~c.d_e-f/é")).isEqualTo("a%20b~c.d_e-f%2F%C3%A9");
            // a base URL with a query gets &key=, not a second ?
            assertThat(new HttpMetadataStore("http://h/m?x=1", Duration.ofSeconds(1)).url("k"))
                    .isEqualTo("http://h/m?x=1&key=k");
        } finally {
            s.close();
        }
    }

    @Test
    void putSendsJsonWithoutTheTrailingNewlineAndOnlyTwoHundredIsSuccess() throws IOException {
        List<String> seen = new CopyOnWriteArrayList<>();
        HttpServer stub = stub(ex -> {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            seen.add(ex.getRequestMethod() + " " + ex.getRequestURI().getRawQuery() + " "
                    + ex.getRequestHeaders().getFirst("Content-Type") + " " + body.replace("\n", "\\n"));
            int status = ex.getRequestURI().getRawQuery().contains("broken") ? 201 : 200;
            ex.sendResponseHeaders(status, -1);
        });
        try (HttpMetadataStore s = new HttpMetadataStore(url(stub), Duration.ofHours(1))) {
            s.put("mooncake/rpc_meta/n:1", "{\"a\":1}\n".getBytes(StandardCharsets.UTF_8));
            assertThat(seen).containsExactly("PUT key=mooncake%2Frpc_meta%2Fn%3A1 application/json {\"a\":1}");
            assertThatThrownBy(() -> s.put("broken", new byte[] {'{', '}'}))
                    .isInstanceOf(MetadataUnavailableException.class).hasMessageContaining("HTTP 201");
        } finally {
            stub.stop(0);
        }
    }

    @Test
    void serverThatRefusesReRegistrationIsNeverWrittenTwiceAndAnOverwriteGivesTheRuleAndTheFix() throws IOException {
        // behaves like the reference's Python server: a second PUT of an rpc_meta key is 400
        Map<String, String> data = new ConcurrentHashMap<>();
        List<String> puts = new CopyOnWriteArrayList<>();
        HttpServer stub = stub(ex -> {
            String key = ex.getRequestURI().getQuery().substring(4);
            if (ex.getRequestMethod().equals("PUT")) {
                puts.add(key);
                String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                boolean dup = key.contains("rpc_meta") && data.putIfAbsent(key, body) != null;
                byte[] text = (dup ? "Duplicate rpc_meta key not allowed" : "metadata updated")
                        .getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(dup ? 400 : 200, text.length);
                ex.getResponseBody().write(text);
            } else if (ex.getRequestMethod().equals("GET") && data.containsKey(key)) {
                byte[] value = data.get(key).getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, value.length);
                ex.getResponseBody().write(value);
            } else {
                ex.sendResponseHeaders(404, -1);
            }
        });
        try (HttpMetadataStore s = new HttpMetadataStore(url(stub), Duration.ofMillis(300))) {
            s.put("mooncake/rpc_meta/n:1", "{\"rpc_port\":1}".getBytes(StandardCharsets.UTF_8));
            // several refresh periods: the server announced no TTL, keys are only read
            await().during(Duration.ofMillis(1000)).atMost(Duration.ofSeconds(10)).until(() -> puts.size() == 1);
            assertThat(puts).containsExactly("mooncake/rpc_meta/n:1");

            data.clear(); // the server restarted and lost the key: the next refresh writes it again
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(puts).hasSize(2));
            assertThat(data).containsKey("mooncake/rpc_meta/n:1");

            assertThatThrownBy(() -> s.put("mooncake/rpc_meta/n:1", "{\"rpc_port\":2}".getBytes(StandardCharsets.UTF_8)))
                    .isInstanceOf(MetadataUnavailableException.class)
                    .hasMessageContaining("HTTP 400 'Duplicate rpc_meta key not allowed'")
                    .hasMessageContaining("refuses to overwrite it")
                    .hasMessageContaining("give each node its own local hostname");
        } finally {
            stub.stop(0);
        }
    }

    @Test
    void unreachableServerFailsAtOpenNamingTheUrlAndTheFix() throws IOException {
        int dead;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = s.getLocalPort();
        }
        String url = "http://127.0.0.1:" + dead + "/metadata";
        EngineConfig config = EngineConfig.builder().metadataServer(url).build();
        assertThatThrownBy(() -> SegmentDirectories.open(MetadataConnection.parse(url), config))
                .isInstanceOf(MetadataUnavailableException.class)
                .hasMessageContaining("metadata server '" + url + "' cannot be reached")
                .hasMessageContaining("P2PHANDSHAKE");
    }

    @Test
    void cachedPeersKeepWorkingWhileTheServerIsDownAndTheClientRecovers() throws IOException {
        HttpMetadataServer own = HttpMetadataServer.builder().host("127.0.0.1").port(0).start();
        int port = own.port();
        String url = own.url();
        EngineConfig config = EngineConfig.builder().metadataServer(url).connectTimeout(Duration.ofSeconds(1))
                .metadataTtl(Duration.ofSeconds(1)).metadataRefreshInterval(Duration.ofMillis(200)).build();
        try (KvSegmentDirectory a = SegmentDirectories.open(MetadataConnection.parse(url), config);
                KvSegmentDirectory b = SegmentDirectories.open(MetadataConnection.parse(url), config)) {
            a.publish(SegmentDescriptor.tcp("a:1", 1, 2, List.of()), new RpcMeta("127.0.0.1", 15300));
            assertThat(b.resolveRpc("a:1").rpcPort()).isEqualTo(15300);
            own.close();

            assertThat(b.resolveRpc("a:1").rpcPort()).isEqualTo(15300);
            assertThatThrownBy(() -> b.resolveRpc("other:1")).hasMessageContaining("cannot be reached");
            assertThat(b.isReachable()).isFalse();
            // refreshes (every 200 ms) fail meanwhile; the cache survives them
            await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(b.resolveRpc("a:1").rpcPort()).isEqualTo(15300));

            own = HttpMetadataServer.builder().host("127.0.0.1").port(port).start();
            // the restarted server is empty; the publisher's refresh puts its keys back
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(15)).ignoreExceptions()
                    .untilAsserted(() -> assertThat(HttpMetadataServerTests.rawGet(url, "mooncake/rpc_meta/a:1"))
                            .isPresent());
            // the reader's next refresh reaches the server again
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(b.isReachable()).isTrue());
        } finally {
            own.close();
        }
    }

    private interface Handler {
        void handle(com.sun.net.httpserver.HttpExchange ex) throws IOException;
    }

    private static HttpServer stub(Handler h) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        s.createContext("/", ex -> {
            try (ex) {
                h.handle(ex);
            }
        });
        s.start();
        return s;
    }

    private static String url(HttpServer s) {
        return "http://127.0.0.1:" + s.getAddress().getPort() + "/metadata";
    }
}
