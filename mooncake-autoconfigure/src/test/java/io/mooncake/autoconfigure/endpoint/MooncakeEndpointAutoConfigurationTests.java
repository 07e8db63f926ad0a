package io.mooncake.autoconfigure.endpoint;

import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.actuate.endpoint.HardwareReport;
import io.mooncake.actuate.endpoint.MooncakeEndpoint;
import io.mooncake.actuate.endpoint.MooncakeEndpoint.MooncakeDescriptor;
import io.mooncake.autoconfigure.MooncakeAutoConfiguration;
import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.topology.TopologyDiscovery;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import tools.jackson.databind.json.JsonMapper;

class MooncakeEndpointAutoConfigurationTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(MooncakeAutoConfiguration.class,
                MooncakeEndpointAutoConfiguration.class))
        .withPropertyValues("mooncake.local-hostname=127.0.0.1", "mooncake.io-threads=1",
                "management.endpoints.web.exposure.include=mooncake");

    @Test
    void endpointShowsSelectionMemoryPeersTrafficAndHardware() {
        this.contextRunner.withPropertyValues("mooncake.protocol=rdma").run((context) -> {
            assertThat(context).hasSingleBean(MooncakeEndpoint.class).hasSingleBean(HardwareReport.class);
            MooncakeEngine engine = context.getBean(MooncakeEngine.class);
            LocalBuffer buffer = engine.allocateBuffer(1 << 20, "cpu:0");
            engine.openSegment(engine.localSegmentName());
            MooncakeDescriptor d = context.getBean(MooncakeEndpoint.class).mooncake();

            assertThat(d.segment()).isEqualTo(engine.localSegmentName());
            assertThat(d.advertised().host()).isEqualTo("127.0.0.1");
            assertThat(d.advertised().how()).isNotBlank();
            assertThat(d.advertised().handshakePort()).isEqualTo(engine.rpcPort());
            assertThat(d.advertised().tcpDataPort()).isPositive()
                .isEqualTo(engine.transportStats().get("tcp").get("dataPort"));
            assertThat(d.selection().requested()).containsExactly("rdma");
            assertThat(d.selection().primary()).isEqualTo("tcp");
            assertThat(d.selection().fellBack()).isTrue();
            assertThat(d.selection().decisions()).anySatisfy((decision) -> {
                assertThat(decision.protocol()).isEqualTo("rdma");
                assertThat(decision.outcome()).isEqualTo("FELL_BACK");
                assertThat(decision.replacement()).isEqualTo("tcp");
                assertThat(decision.probe().available()).isFalse();
                assertThat(decision.probe().reason()).isNotBlank();
            });
            assertThat(d.metadata().reachable()).isTrue();
            assertThat(d.transports()).containsKey("tcp");
            assertThat(d.registeredMemory()).anySatisfy((m) -> {
                assertThat(m.length()).isEqualTo(1 << 20);
                assertThat(m.location()).isEqualTo("cpu:0");
            });
            assertThat(d.traffic().inFlight()).isZero();
            assertThat(d.hardware().probes()).containsKeys("rdma", "efa", "cuda");
            assertThat(d.hardware().topology()).isNotNull();

            String json = JsonMapper.builder().build().writeValueAsString(d);
            assertThat(json).as("raw addresses stay out of the endpoint")
                .doesNotContain(Long.toString(buffer.address()))
                .doesNotContain(Long.toHexString(buffer.address()))
                .doesNotContain("\"address\"");
        });
    }

    @Test
    void endpointSaysInPlainWordsWhetherPeersMustAuthenticateAndNeverShowsTheSecret() {
        this.contextRunner.run((context) -> {
            MooncakeDescriptor d = context.getBean(MooncakeEndpoint.class).mooncake();
            assertThat(d.security().authentication()).isEqualTo("off");
            assertThat(d.security().description()).startsWith("off: anyone who reaches");
            assertThat(d.security().bindAddress()).isEqualTo("127.0.0.1");
            assertThat(d.security().bindHow()).contains("advertised");
        });
        String secret = "endpoint-test-secret-0123456789";
        this.contextRunner.withPropertyValues("mooncake.auth.secret=" + secret).run((context) -> {
            MooncakeDescriptor d = context.getBean(MooncakeEndpoint.class).mooncake();
            assertThat(d.security().authentication()).isEqualTo("on");
            assertThat(d.security().description()).startsWith("on: every handshake and tcp data connection");
            assertThat(d.security().rejectedConnections()).isEmpty();
            String json = JsonMapper.builder().build().writeValueAsString(d);
            assertThat(json).doesNotContain(secret);
            assertThat(context.getBean(io.mooncake.autoconfigure.MooncakeProperties.class).getAuth().toString())
                .doesNotContain(secret);
        });
    }

    @Test
    void aShortSecretFailsStartupNamingThePropertyButNotTheValue() {
        this.contextRunner.withPropertyValues("mooncake.auth.secret=tooshort").run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("mooncake.auth.secret");
            Throwable t = context.getStartupFailure();
            while (t != null) {
                assertThat(String.valueOf(t.getMessage())).doesNotContain("tooshort");
                t = t.getCause();
            }
        });
    }

    @Test
    void aFixedTcpDataPortIsUsedAndShown() throws java.io.IOException {
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        int fixed = port;
        this.contextRunner.withPropertyValues("mooncake.tcp-data-port=" + fixed).run((context) -> {
            MooncakeDescriptor d = context.getBean(MooncakeEndpoint.class).mooncake();
            assertThat(d.advertised().tcpDataPort()).isEqualTo(fixed);
            assertThat(context.getBean(MooncakeEngine.class).localDescriptor().tcpDataPort()).isEqualTo(fixed);
        });
    }

    @Test
    void withoutMooncakeNativeTheEndpointHasNoHardwareSection() {
        this.contextRunner.withClassLoader(new FilteredClassLoader(TopologyDiscovery.class)).run((context) -> {
            assertThat(context).hasSingleBean(MooncakeEndpoint.class).doesNotHaveBean(HardwareReport.class);
            assertThat(context.getBean(MooncakeEndpoint.class).mooncake().hardware()).isNull();
        });
    }

    @Test
    void backsOffWhenTheEndpointIsNotExposed() {
        new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(MooncakeAutoConfiguration.class,
                    MooncakeEndpointAutoConfiguration.class))
            .withPropertyValues("mooncake.local-hostname=127.0.0.1", "mooncake.io-threads=1")
            .run((context) -> assertThat(context).doesNotHaveBean(MooncakeEndpoint.class));
    }

    @Test
    void backsOffWhenTheEndpointIsDisabled() {
        this.contextRunner.withPropertyValues("management.endpoint.mooncake.enabled=false")
            .run((context) -> assertThat(context).doesNotHaveBean(MooncakeEndpoint.class));
    }

    @Test
    void backsOffWithoutAnEngine() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(MooncakeEndpointAutoConfiguration.class))
            .withPropertyValues("management.endpoints.web.exposure.include=mooncake")
            .run((context) -> assertThat(context).doesNotHaveBean(MooncakeEndpoint.class));
    }
}
