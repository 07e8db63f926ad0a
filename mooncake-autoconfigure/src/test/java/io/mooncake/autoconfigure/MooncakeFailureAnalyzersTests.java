package io.mooncake.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.api.PortInUseException;
import io.mooncake.engine.api.TransportUnavailableException;
import io.mooncake.engine.metadata.MetadataUnavailableException;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.io.support.SpringFactoriesLoader;

/**
 * Each startup failure the issue names, produced by a real context, analysed the way Spring Boot
 * prints it: what went wrong, which property (and where it was set), what to do.
 */
class MooncakeFailureAnalyzersTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(MooncakeAutoConfiguration.class))
        .withPropertyValues("mooncake.local-hostname=127.0.0.1", "mooncake.io-threads=1");

    @Test
    void badProtocolStringFromAnEnvironmentVariable() {
        FailureAnalysis analysis = analyze(this.contextRunner.withInitializer((context) -> context.getEnvironment()
            .getPropertySources()
            .addFirst(TestEnvironments.mappedEnvironment(Map.of("MOONCAKE_PROTOCOL", "rmda")))), new InvalidProtocolFailureAnalyzer());
        assertThat(analysis.getDescription()).isEqualTo("The Mooncake protocol 'rmda' set by 'mooncake.protocol' "
                + "(from System Environment Property \"MOONCAKE_PROTOCOL\") is not valid: unknown protocol 'rmda'; "
                + "valid protocols are: tcp, rdma, efa, nvmeof, nvlink, nvlink_intra, hip, barex, cxl, ascend, and those "
                + "of the transports on the class path: local, shm.");
        assertThat(analysis.getAction()).startsWith("Set mooncake.protocol (environment variable MOONCAKE_PROTOCOL) "
                + "to one of: tcp, rdma, efa, nvmeof, nvlink, nvlink_intra, hip, barex, cxl, ascend;")
            .contains("Use tcp where there is no RDMA, GPU or storage hardware.");
    }

    @Test
    void badProtocolStringFromAProperty() {
        FailureAnalysis analysis = analyze(this.contextRunner.withPropertyValues("mooncake.protocol=tcp,infiniband"),
                new InvalidProtocolFailureAnalyzer());
        assertThat(analysis.getDescription()).startsWith("The Mooncake protocol 'tcp,infiniband' set by "
                + "'mooncake.protocol' (from ").contains("unknown protocol 'infiniband'");
    }

    @Test
    void metadataServerThatCannotBeReached() throws IOException {
        int port = closedPort();
        FailureAnalysis analysis = analyze(
                this.contextRunner.withPropertyValues("mooncake.metadata-server=etcd://127.0.0.1:" + port,
                        "mooncake.connect-timeout=1s"),
                new MetadataServerUnreachableFailureAnalyzer());
        assertThat(analysis.getDescription()).startsWith("The Mooncake metadata server 'etcd://127.0.0.1:" + port
                + "' set by 'mooncake.metadata-server' (from ")
            .contains("cannot be reached: no connection to 127.0.0.1:" + port);
        assertThat(analysis.getAction()).startsWith("Start the metadata server, or correct mooncake.metadata-server "
                + "(environment variable MOONCAKE_TE_META_DATA_SERVER); the forms are P2PHANDSHAKE, etcd://")
            .endsWith("To run without a metadata server, set it to P2PHANDSHAKE.");
    }

    @Test
    void metadataFailureRaisedByTheEngineIsReportedTheSameWay() {
        FailureAnalysis analysis = analyze(this.contextRunner.withBean(TransferEngineFactory.class,
                () -> (config) -> {
                    throw new MetadataUnavailableException("etcd answered UNAVAILABLE");
                }), new MetadataServerUnreachableFailureAnalyzer());
        assertThat(analysis.getDescription()).isEqualTo("The Mooncake metadata server 'P2PHANDSHAKE' set by "
                + "'mooncake.metadata-server' (default value) cannot be reached: etcd answered UNAVAILABLE.");
    }

    @Test
    void sizeThatCannotBeAllocated() {
        FailureAnalysis analysis = analyze(this.contextRunner.withPropertyValues("mooncake.global-segment-size=1000TB"),
                new SegmentAllocationFailureAnalyzer());
        assertThat(analysis.getDescription()).startsWith("Mooncake cannot allocate the 1000 TB (1099511627776000 bytes) "
                + "requested by 'mooncake.global-segment-size' (from ")
            .contains("it exceeds this host's total memory of ");
        assertThat(analysis.getAction()).isEqualTo("Lower mooncake.global-segment-size (environment variable "
                + "MOONCAKE_GLOBAL_SEGMENT_SIZE) so that it fits in this host's memory next to the JVM heap "
                + "(sizes such as 512MB or 3GB), or remove it to start without allocating.");
    }

    @Test
    void stagingPoolThatCannotBeAllocated() {
        FailureAnalysis analysis = analyze(this.contextRunner.withPropertyValues("mooncake.local-buffer-size=1000t"),
                new SegmentAllocationFailureAnalyzer());
        assertThat(analysis.getDescription()).contains("requested by 'mooncake.local-buffer-size'");
        assertThat(analysis.getAction()).startsWith("Lower mooncake.local-buffer-size (environment variable "
                + "MOONCAKE_LOCAL_BUFFER_SIZE)");
    }

    @Test
    void allocationFailureInsideTheEngineIsReported() {
        FailureAnalysis analysis = analyze(this.contextRunner.withPropertyValues("mooncake.global-segment-size=1MB")
            .withBean(TransferEngineFactory.class, () -> (config) -> {
                MooncakeEngine engine = org.mockito.Mockito.mock(MooncakeEngine.class);
                org.mockito.BDDMockito.given(engine.allocateBuffer(1L << 20, "cpu:0"))
                    .willThrow(new OutOfMemoryError("Cannot reserve 1048576 bytes"));
                return engine;
            }), new SegmentAllocationFailureAnalyzer());
        assertThat(analysis.getDescription()).contains("1 MB (1048576 bytes)")
            .contains("java.lang.OutOfMemoryError: Cannot reserve 1048576 bytes");
    }

    @Test
    void handshakePortAlreadyInUse() throws IOException {
        try (ServerSocket taken = new ServerSocket(0)) {
            int port = taken.getLocalPort();
            FailureAnalysis analysis = analyze(this.contextRunner.withPropertyValues("mooncake.handshake-port=" + port),
                    new PortInUseFailureAnalyzer());
            assertThat(analysis.getDescription()).startsWith("Mooncake cannot listen on port " + port
                    + ", set by 'mooncake.handshake-port' (from ").endsWith("the port is already in use.");
            assertThat(analysis.getAction()).isEqualTo("Stop the process that listens on port " + port
                    + " (ss -ltnp 'sport = :" + port + "' shows it), or set mooncake.handshake-port to a free port, "
                    + "or to 0 to pick a free one from mooncake.rpc-port-range.");
        }
    }

    @Test
    void portNamedInLocalHostnameAlreadyInUse() throws IOException {
        try (ServerSocket taken = new ServerSocket(0)) {
            int port = taken.getLocalPort();
            FailureAnalysis analysis = analyze(
                    this.contextRunner.withPropertyValues("mooncake.local-hostname=127.0.0.1:" + port),
                    new PortInUseFailureAnalyzer());
            assertThat(analysis.getDescription()).contains("set by 'mooncake.local-hostname'");
            assertThat(analysis.getAction()).contains("drop ':port' from it");
        }
    }

    @Test
    void bindFailureRaisedByTheEngineIsReportedTheSameWay() {
        FailureAnalysis analysis = analyze(this.contextRunner.withPropertyValues("mooncake.tcp-data-port=16500")
            .withBean(TransferEngineFactory.class, () -> (config) -> {
                throw new PortInUseException("tcp data", 16500, "cannot bind tcp data port 16500: Address already in use",
                        new BindException("Address already in use"));
            }), new PortInUseFailureAnalyzer());
        assertThat(analysis.getDescription()).startsWith("Mooncake cannot listen on port 16500, set by "
                + "'mooncake.tcp-data-port'");
    }

    @Test
    void unavailableProtocolWithoutFallback() {
        FailureAnalysis analysis = analyze(this.contextRunner.withBean(TransferEngineFactory.class, () -> (config) -> {
            throw new TransportUnavailableException("rdma", "no device in sysfs class/infiniband");
        }), new TransportUnavailableFailureAnalyzer());
        assertThat(analysis.getDescription()).isEqualTo("The Mooncake protocol 'rdma' requested by mooncake.protocol "
                + "cannot run on this host: no device in sysfs class/infiniband. Fallback to tcp is off "
                + "(mooncake.fallback-to-tcp=false).");
        assertThat(analysis.getAction()).contains("mooncake.fallback-to-tcp=true").contains("mooncake.protocol=tcp");
    }

    @Test
    void badEnvironmentVariable() {
        FailureAnalysis analysis = new InvalidMooncakeSettingFailureAnalyzer().analyze(new InvalidMooncakeSettingException(
                "environment variables", new MooncakeException(ErrorCode.INVALID_ARGUMENT,
                        "invalid size MOONCAKE_GLOBAL_SEGMENT_SIZE='3GiB': unit 'GiB' is not supported")));
        assertThat(analysis.getDescription()).isEqualTo("A Mooncake setting in environment variables cannot be used: "
                + "invalid size MOONCAKE_GLOBAL_SEGMENT_SIZE='3GiB': unit 'GiB' is not supported.");
        assertThat(analysis.getAction()).startsWith("Correct or remove the value named above, in environment variables.");
    }

    @Test
    void analyzersAreRegistered() {
        java.util.List<String> registered = new java.util.ArrayList<>();
        SpringFactoriesLoader.forDefaultResourceLocation()
            .load(FailureAnalyzer.class, null, (factoryType, factoryImplementationName, failure) -> {
            })
            .forEach((analyzer) -> registered.add(analyzer.getClass().getName()));
        assertThat(registered).contains(InvalidProtocolFailureAnalyzer.class.getName(),
                MetadataServerUnreachableFailureAnalyzer.class.getName(),
                SegmentAllocationFailureAnalyzer.class.getName(), PortInUseFailureAnalyzer.class.getName(),
                TransportUnavailableFailureAnalyzer.class.getName(),
                InvalidMooncakeSettingFailureAnalyzer.class.getName());
    }

    private static FailureAnalysis analyze(ApplicationContextRunner runner, FailureAnalyzer analyzer) {
        FailureAnalysis[] result = new FailureAnalysis[1];
        runner.run((context) -> {
            assertThat(context).hasFailed();
            result[0] = analyzer.analyze(context.getStartupFailure());
        });
        assertThat(result[0]).as("analysis").isNotNull();
        return result[0];
    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return socket.getLocalPort();
        }
    }
}
