package io.mooncake.autoconfigure.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.mooncake.autoconfigure.MooncakeAutoConfiguration;
import io.mooncake.autoconfigure.TestEngines;
import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.stats.TransferListener;
import io.mooncake.engine.transport.Availability.Cause;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.prometheus.PrometheusMetricsExportAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

class MooncakeMetricsAutoConfigurationTests {

    /** A real loopback engine and Boot's metrics (simple registry). */
    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
                SimpleMetricsExportAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class,
                MooncakeAutoConfiguration.class, MooncakeMetricsAutoConfiguration.class))
        .withPropertyValues("mooncake.local-hostname=127.0.0.1", "mooncake.io-threads=1");

    @Test
    void refusedConnectionsAreCountedByPortAndReason() throws Exception {
        this.contextRunner.withPropertyValues("mooncake.auth.secret=metrics-test-secret-0123456789").run((context) -> {
            MooncakeEngine engine = context.getBean(MooncakeEngine.class);
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            assertThat(registry.get("mooncake.connections.rejected").tags("port", "tcp-data", "reason",
                    "NOT_AUTHENTICATING").functionCounter().count()).isZero();
            // a peer without the secret: sends a request header where the response to the challenge belongs
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", engine.localDescriptor().tcpDataPort())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(new byte[72]);
                while (s.getInputStream().read() >= 0) {
                    // until the engine closes
                }
            }
            // counted before the engine closes the connection
            assertThat(registry.get("mooncake.connections.rejected").tags("port", "tcp-data", "reason",
                    "NOT_AUTHENTICATING").functionCounter().count()).isEqualTo(1.0);
        });
    }

    @Test
    void theTcpDataPortsConnectionsAndRefusedRequestsAreMeasured() throws Exception {
        this.contextRunner.run((context) -> {
            MooncakeEngine engine = context.getBean(MooncakeEngine.class);
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            LocalBuffer buffer = engine.allocateBuffer(4096, "cpu:0");
            assertThat(registry.get("mooncake.tcp.requests.malformed").functionCounter().count()).isZero();
            assertThat(registry.get("mooncake.tcp.inbound.closed").tags("reason", "IDLE").functionCounter().count())
                .isZero();
            int port = engine.localDescriptor().tcpDataPort();
            try (java.net.Socket idle = new java.net.Socket("127.0.0.1", port)) {
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).untilAsserted(() ->
                        assertThat(registry.get("mooncake.tcp.inbound.connections").gauge().value()).isEqualTo(1.0));
                // a READ (v2 framing, which answers with a status) of 16 bytes just past the registered buffer, then an opcode that is neither READ nor WRITE
                assertThat(answerTo(port, header(16, buffer.address() + 4096, 0x80))).isEqualTo(1);
                assertThat(answerTo(port, header(16, buffer.address(), 0x7f))).isEqualTo(-1);
                assertThat(registry.get("mooncake.served.requests").tags("protocol", "tcp", "op", "READ", "outcome",
                        "REJECTED").counter().count()).isEqualTo(1.0);
                assertThat(registry.get("mooncake.tcp.requests.malformed").functionCounter().count()).isEqualTo(1.0);
            }
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(registry.get("mooncake.tcp.inbound.connections").gauge().value()).isZero());
            assertThat(registry.get("mooncake.tcp.io.loop.failures").functionCounter().count()).isZero();
            assertThat(registry.get("mooncake.tcp.inbound.closed").tags("reason", "LIMIT").functionCounter().count())
                .isZero();
        });
    }

    /** Sends a request header on a new connection; the status byte of the answer, or -1 when it is closed unanswered. */
    private static int answerTo(int port, byte[] header) throws java.io.IOException {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(header);
            byte[] status = s.getInputStream().readNBytes(8);
            return (status.length == 8) ? status[0] : -1;
        }
    }

    private static byte[] header(long size, long address, int opcode) {
        return java.nio.ByteBuffer.allocate(24).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(size).putLong(address)
            .put((byte) opcode).array();
    }

    @Test
    void engineIsStartedWithTheListenerAndItsTrafficIsMeasured() {
        this.contextRunner.run((context) -> {
            assertThat(context).hasSingleBean(MooncakeTransferMetrics.class)
                .hasSingleBean(MooncakeEngineMeterBinder.class);
            MooncakeEngine engine = context.getBean(MooncakeEngine.class);
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            LocalBuffer a = engine.allocateBuffer(8192, "cpu:0");
            LocalBuffer b = engine.allocateBuffer(8192, "cpu:0");
            engine.transferSyncWrite(engine.localSegmentName(), a.address(), b.address(), 4096);

            assertThat(registry.get("mooncake.transfer.requests")
                .tags("protocol", "local", "op", "WRITE", "outcome", "COMPLETED")
                .timer()
                .count()).isEqualTo(1);
            assertThat(registry.get("mooncake.transfer.bytes").tags("protocol", "local", "op", "WRITE")
                .functionCounter()
                .count()).isEqualTo(4096);
            assertThat(registry.get("mooncake.transfer.bytes").tags("protocol", "tcp", "op", "READ")
                .functionCounter()
                .count()).isZero();
            assertThat(registry.get("mooncake.transfer.peer.bytes")
                .tags("peer", engine.localSegmentName(), "op", "WRITE")
                .counter()
                .count()).isEqualTo(4096);
            assertThat(registry.get("mooncake.transfer.failures")
                .tags("protocol", "tcp", "op", "WRITE", "reason", "PEER_REJECTED")
                .functionCounter()
                .count()).isZero();
            assertThat(registry.get("mooncake.transfer.inflight").gauge().value()).isZero();
            assertThat(registry.get("mooncake.metadata.reachable").gauge().value()).isEqualTo(1);
            assertThat(registry.get("mooncake.notify.refused").tags("reason", "QUEUE_BYTES").functionCounter().count())
                .isZero();
            assertThat(registry.get("mooncake.notify.queued").functionCounter().count()).isZero();
            assertThat(registry.get("mooncake.handshake.dropped").tags("reason", "DEADLINE").functionCounter().count())
                .isZero();
        });
    }

    @Test
    void capOnPeerSeriesIsConfigurable() {
        this.contextRunner.withPropertyValues("mooncake.metrics.max-peer-series=0").run((context) -> {
            MooncakeEngine engine = context.getBean(MooncakeEngine.class);
            LocalBuffer a = engine.allocateBuffer(8192, "cpu:0");
            engine.transferSyncWrite(engine.localSegmentName(), a.address(), a.address() + 4096, 100);
            assertThat(context.getBean(MeterRegistry.class).get("mooncake.transfer.peer.bytes")
                .tags("peer", "other", "op", "WRITE")
                .counter()
                .count()).isEqualTo(100);
        });
    }

    @Test
    void disabledMetricsLeaveTheEngineWithoutListener() {
        this.contextRunner.withPropertyValues("mooncake.metrics.enabled=false").run((context) -> {
            assertThat(context).hasSingleBean(MooncakeEngine.class)
                .doesNotHaveBean(MooncakeTransferMetrics.class)
                .doesNotHaveBean(MooncakeEngineMeterBinder.class)
                .doesNotHaveBean(TransferListener.class);
            assertThat(context.getBean(MeterRegistry.class).find("mooncake.transfer.bytes").meters()).isEmpty();
        });
    }

    @Test
    void backsOffWithoutMeterRegistry() {
        new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(MooncakeAutoConfiguration.class,
                    MooncakeMetricsAutoConfiguration.class))
            .withPropertyValues("mooncake.local-hostname=127.0.0.1", "mooncake.io-threads=1")
            .run((context) -> assertThat(context).hasSingleBean(MooncakeEngine.class)
                .doesNotHaveBean(MooncakeTransferMetrics.class));
    }

    @Test
    void backsOffWithoutMicrometer() {
        this.contextRunner.withClassLoader(new FilteredClassLoader("io.micrometer.core"))
            .run((context) -> assertThat(context).doesNotHaveBean(MooncakeTransferMetrics.class));
    }

    @Test
    void backsOffWithoutAnEngine() {
        new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
                    SimpleMetricsExportAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class,
                    MooncakeMetricsAutoConfiguration.class))
            .run((context) -> assertThat(context).doesNotHaveBean(MooncakeTransferMetrics.class));
    }

    @Test
    void fallbacksAtStartupAreCountedWithFromToAndReason() {
        new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
                    SimpleMetricsExportAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class,
                    MooncakeMetricsAutoConfiguration.class))
            .withBean(MooncakeEngine.class, () -> TestEngines.mock(TestEngines.fellBack("rdma", Cause.NO_DEVICE)))
            .run((context) -> assertThat(context.getBean(MeterRegistry.class)
                .get("mooncake.transport.fallbacks")
                .tags("from", "rdma", "to", "tcp", "reason", "NO_DEVICE")
                .counter()
                .count()).isEqualTo(1));
    }

    @Test
    void prometheusNamesCarryUnitAndTotalOnlyOnce() {
        new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
                    PrometheusMetricsExportAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class,
                    MooncakeAutoConfiguration.class, MooncakeMetricsAutoConfiguration.class))
            .withPropertyValues("mooncake.local-hostname=127.0.0.1", "mooncake.io-threads=1")
            .run((context) -> {
                MooncakeEngine engine = context.getBean(MooncakeEngine.class);
                LocalBuffer a = engine.allocateBuffer(8192, "cpu:0");
                engine.transferSyncWrite(engine.localSegmentName(), a.address(), a.address() + 4096, 100);
                String scrape = context.getBean(PrometheusMeterRegistry.class).scrape();
                assertThat(scrape).contains("mooncake_transfer_bytes_total{op=\"WRITE\",protocol=\"local\"} 100.0")
                    .contains("mooncake_transfer_requests_seconds_bucket{")
                    .contains("mooncake_transfer_requests_seconds_count{op=\"WRITE\",outcome=\"COMPLETED\",protocol=\"local\"} 1")
                    .contains("mooncake_transfer_failures_total{")
                    .contains("mooncake_transfer_peer_bytes_total{")
                    .contains("mooncake_transfer_inflight ")
                    .doesNotContain("_total_total")
                    .doesNotContain("bytes_bytes");
            });
    }

    @Test
    void servedTrafficIsCountedOnTheTargetByProtocolAndRegisteredAtZero() {
        this.contextRunner.run((context) -> {
            MooncakeEngine target = context.getBean(MooncakeEngine.class);
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            assertThat(registry.get("mooncake.served.bytes").tags("protocol", "tcp", "op", "READ").counter().count())
                .as("registered at zero before any traffic").isZero();
            assertThat(registry.get("mooncake.served.requests")
                .tags("protocol", "tcp", "op", "WRITE", "outcome", "REJECTED")
                .counter()
                .count()).isZero();
            LocalBuffer served = target.allocateBuffer(1 << 16, "cpu:0");
            try (MooncakeEngine initiator = MooncakeEngine.start(io.mooncake.engine.config.EngineConfig.builder()
                .localHostname("127.0.0.1")
                .ioThreads(1)
                .disabledTransports("local,shm")
                .build())) {
                LocalBuffer local = initiator.allocateBuffer(1 << 16, "cpu:0");
                initiator.transferSyncRead(target.localSegmentName(), local.address(), served.address(), 5000);
                initiator.transferSyncWrite(target.localSegmentName(), local.address(), served.address(), 3000);
            }
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(registry.get("mooncake.served.bytes").tags("protocol", "tcp", "op", "READ").counter().count())
                    .isEqualTo(5000);
                assertThat(registry.get("mooncake.served.requests")
                    .tags("protocol", "tcp", "op", "WRITE", "outcome", "COMPLETED")
                    .counter()
                    .count()).isEqualTo(1);
            });
            assertThat(registry.find("mooncake.served.bytes").tags("protocol", "local").counter())
                .as("local copies are made by the initiator alone").isNull();
        });
    }

    @Test
    void theScrapeHasTheDashboardsFixedBucketsOnly() {
        new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
                    PrometheusMetricsExportAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class,
                    MooncakeAutoConfiguration.class, MooncakeMetricsAutoConfiguration.class))
            .withPropertyValues("mooncake.local-hostname=127.0.0.1", "mooncake.io-threads=1")
            .run((context) -> {
                String scrape = context.getBean(PrometheusMeterRegistry.class).scrape();
                long series = scrape.lines().filter((l) -> l.startsWith("mooncake_transfer_requests_seconds_count")).count();
                long buckets = scrape.lines().filter((l) -> l.startsWith("mooncake_transfer_requests_seconds_bucket")).count();
                assertThat(series).isPositive();
                assertThat(buckets).as("buckets per series: the fixed ones and +Inf")
                    .isEqualTo(series * (MooncakeTransferMetrics.LATENCY_BUCKETS.length + 1));
                assertThat(scrape).contains("mooncake_served_bytes_total{op=\"READ\",protocol=\"tcp\"} 0.0");
            });
    }
}
