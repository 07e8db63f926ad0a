package io.mooncake.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.BDDMockito.given;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;

import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.config.EngineConfig;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.mockito.InOrder;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.util.unit.DataSize;

class MooncakeAutoConfigurationTests {

    /** Loopback, P2PHANDSHAKE, random ports: a real engine starts in a few milliseconds. */
    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(MooncakeAutoConfiguration.class))
        .withPropertyValues("mooncake.local-hostname=127.0.0.1", "mooncake.io-threads=1");

    /** The engine replaced by a mock: for mapping tests that need no sockets. */
    private final ApplicationContextRunner mappingRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(MooncakeAutoConfiguration.class))
        .withBean(MooncakeEngine.class, MooncakeAutoConfigurationTests::mockEngine);

    static MooncakeEngine mockEngine() {
        MooncakeEngine engine = mock(MooncakeEngine.class);
        given(engine.allocateBuffer(org.mockito.ArgumentMatchers.anyLong(), org.mockito.ArgumentMatchers.anyString()))
            .willAnswer((invocation) -> {
                LocalBuffer buffer = mock(LocalBuffer.class);
                given(buffer.length()).willReturn(invocation.getArgument(0));
                return buffer;
            });
        return engine;
    }

    @Test
    void defaultConfigurationStartsATcpEngineWithoutSegmentPoolOrMaster() {
        this.contextRunner.run((context) -> {
            assertThat(context).hasSingleBean(MooncakeEngine.class)
                .hasSingleBean(EngineConfig.class)
                .doesNotHaveBean(MooncakeGlobalSegment.class)
                .doesNotHaveBean(MooncakeLocalBufferPool.class)
                .doesNotHaveBean(MooncakeMasterServer.class);
            EngineConfig config = context.getBean(EngineConfig.class);
            assertThat(config.protocols()).containsExactly("tcp");
            assertThat(config.metadataServer()).isEqualTo("P2PHANDSHAKE");
            assertThat(config.deviceNames()).isEmpty();
            MooncakeEngine engine = context.getBean(MooncakeEngine.class);
            assertThat(engine.localSegmentName()).isEqualTo("127.0.0.1:" + engine.rpcPort());
            assertThat(engine.selection().primary()).isEqualTo("tcp");
        });
    }

    @Test
    void everyPropertyIsMappedOntoTheEngineConfig() {
        this.mappingRunner.withPropertyValues("mooncake.local-hostname=node-a", "mooncake.metadata-server=P2PHANDSHAKE",
                "mooncake.protocol=rdma,nvmeof", "mooncake.device-name=mlx5_0, mlx5_1", "mooncake.handshake-port=12011",
                "mooncake.tcp-data-port=12012", "mooncake.rpc-port-range.min=16000", "mooncake.rpc-port-range.max=16100",
                "mooncake.bind-address=10.0.0.5", "mooncake.io-threads=3", "mooncake.connections-per-peer=8",
                "mooncake.slice-size=1MB", "mooncake.socket-buffer-size=0", "mooncake.transfer-timeout=45s",
                "mooncake.connect-timeout=3s", "mooncake.handshake-timeout=7s", "mooncake.handshake-max-length=2m",
                "mooncake.tcp-proto-version=1", "mooncake.cluster-id=team-a", "mooncake.fallback-to-tcp=false",
                "mooncake.force-tcp=true", "mooncake.force-hca=true", "mooncake.force-mnnvl=true",
                "mooncake.intranode-nvlink=true", "mooncake.metadata-refresh-interval=60s", "mooncake.metadata-ttl=20s",
                "mooncake.auth.secret=mapped-secret-0123456789")
            .run((context) -> {
                EngineConfig c = context.getBean(EngineConfig.class);
                assertThat(c.localHostname()).isEqualTo("node-a");
                assertThat(c.metadataServer()).isEqualTo("P2PHANDSHAKE");
                assertThat(c.protocols()).containsExactly("rdma", "nvmeof");
                assertThat(c.deviceNames()).containsExactly("mlx5_0", "mlx5_1");
                assertThat(c.handshakePort()).isEqualTo(12011);
                assertThat(c.tcpDataPort()).isEqualTo(12012);
                assertThat(c.minRpcPort()).isEqualTo(16000);
                assertThat(c.maxRpcPort()).isEqualTo(16100);
                assertThat(c.bindAddress()).isEqualTo("10.0.0.5");
                assertThat(c.ioThreads()).isEqualTo(3);
                assertThat(c.connectionsPerPeer()).isEqualTo(8);
                assertThat(c.sliceSize()).isEqualTo(1 << 20);
                assertThat(c.socketBufferSize()).isZero();
                assertThat(c.transferTimeout()).isEqualTo(Duration.ofSeconds(45));
                assertThat(c.connectTimeout()).isEqualTo(Duration.ofSeconds(3));
                assertThat(c.handshakeTimeout()).isEqualTo(Duration.ofSeconds(7));
                assertThat(c.handshakeMaxLength()).isEqualTo(2 << 20);
                assertThat(c.tcpProtoVersion()).isEqualTo(1);
                assertThat(c.clusterId()).isEqualTo("team-a");
                assertThat(c.fallbackToTcp()).isFalse();
                assertThat(c.forceTcp()).isTrue();
                assertThat(c.forceHca()).isTrue();
                assertThat(c.forceMnnvl()).isTrue();
                assertThat(c.intranodeNvlink()).isTrue();
                assertThat(c.metadataRefreshInterval()).isEqualTo(Duration.ofSeconds(60));
                assertThat(c.metadataTtl()).isEqualTo(Duration.ofSeconds(20));
                assertThat(c.authSecret()).isNotNull();
                assertThat(c.toString()).contains("auth=on").doesNotContain("mapped-secret");
            });
    }

    @Test
    void sizesAcceptReferenceAndSpringForms() {
        this.mappingRunner
            .withPropertyValues("mooncake.slice-size=64k", "mooncake.socket-buffer-size=1.5MB",
                    "mooncake.handshake-max-length=1048576", "mooncake.global-segment-size=3gb",
                    "mooncake.local-buffer-size=512MB")
            .run((context) -> {
                MooncakeProperties p = context.getBean(MooncakeProperties.class);
                assertThat(p.getSliceSize()).isEqualTo(DataSize.ofKilobytes(64));
                assertThat(p.getSocketBufferSize()).isEqualTo(DataSize.ofBytes(1572864));
                assertThat(p.getHandshakeMaxLength()).isEqualTo(DataSize.ofMegabytes(1));
                assertThat(p.getGlobalSegmentSize()).isEqualTo(DataSize.ofGigabytes(3));
                assertThat(p.getLocalBufferSize()).isEqualTo(DataSize.ofMegabytes(512));
            });
    }

    @Test
    void gibSpellingIsRejectedNamingThePropertyAndTheForms() {
        this.mappingRunner.withPropertyValues("mooncake.global-segment-size=3GiB").run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("unit 'GiB' is not supported")
                .hasMessageContaining("e.g. 3GB");
            assertThat(context.getStartupFailure()).hasStackTraceContaining("mooncake.global-segment-size")
                .hasRootCauseInstanceOf(io.mooncake.engine.api.MooncakeException.class);
        });
    }

    @Test
    void otherDataSizePropertiesKeepSpringConversion() {
        this.mappingRunner.withUserConfiguration(OtherSizeConfiguration.class)
            .withPropertyValues("other.size=3g")
            .run((context) -> assertThat(context).hasFailed());
        this.mappingRunner.withUserConfiguration(OtherSizeConfiguration.class)
            .withPropertyValues("other.size=3GB")
            .run((context) -> assertThat(context.getBean(OtherSizeProperties.class).getSize())
                .isEqualTo(DataSize.ofGigabytes(3)));
    }

    @Test
    void userDefinedEngineConfigIsUsed() {
        EngineConfig mine = EngineConfig.builder().localHostname("127.0.0.1").ioThreads(1).build();
        this.contextRunner.withBean(EngineConfig.class, () -> mine).run((context) -> {
            assertThat(context).getBean(EngineConfig.class).isSameAs(mine);
            assertThat(context.getBean(MooncakeEngine.class).config()).isSameAs(mine);
        });
    }

    @Test
    void userDefinedEngineBacksOffTheAutoConfiguredOne() {
        MooncakeEngine mine = mock(MooncakeEngine.class);
        this.contextRunner.withBean(MooncakeEngine.class, () -> mine)
            .run((context) -> assertThat(context).getBean(MooncakeEngine.class).isSameAs(mine));
    }

    @Test
    void transferEngineFactoryIsUsedWhenDefined() {
        MooncakeEngine mine = mock(MooncakeEngine.class);
        this.contextRunner.withBean(TransferEngineFactory.class, () -> (config) -> mine)
            .run((context) -> assertThat(context).getBean(MooncakeEngine.class).isSameAs(mine));
    }

    @Test
    void customizersRunInOrderAfterTheProperties() {
        this.mappingRunner.withUserConfiguration(CustomizerConfiguration.class)
            .withPropertyValues("mooncake.connections-per-peer=2")
            .run((context) -> assertThat(context.getBean(EngineConfig.class).connectionsPerPeer()).isEqualTo(7));
    }

    @Test
    void noEngineWhenTheEngineIsNotOnTheClasspath() {
        this.contextRunner.withClassLoader(new FilteredClassLoader(MooncakeEngine.class))
            .run((context) -> assertThat(context).doesNotHaveBean(EngineConfig.class)
                .doesNotHaveBean(MooncakeProperties.class));
    }

    @Test
    void engineIsClosedWithTheContext() {
        MooncakeEngine[] engine = new MooncakeEngine[1];
        this.contextRunner.run((context) -> engine[0] = context.getBean(MooncakeEngine.class));
        assertThatThrownBy(() -> engine[0].allocateBuffer(64, "cpu:0")).isInstanceOf(MooncakeException.class)
            .hasMessageContaining("closed");
    }

    @Test
    void globalSegmentIsAllocatedRegisteredAndPublished() {
        this.contextRunner.withPropertyValues("mooncake.global-segment-size=2MB").run((context) -> {
            MooncakeGlobalSegment segment = context.getBean(MooncakeGlobalSegment.class);
            MooncakeEngine engine = context.getBean(MooncakeEngine.class);
            assertThat(segment.size()).isEqualTo(2L << 20);
            assertThat(segment.buffer().remoteAccessible()).isTrue();
            assertThat(segment.segmentName()).isEqualTo(engine.localSegmentName());
            assertThat(engine.localDescriptor().buffers())
                .anySatisfy((b) -> assertThat(b.length()).isEqualTo(2L << 20));
            assertThat(engine.openSegment(engine.localSegmentName()).buffers())
                .anySatisfy((b) -> assertThat(b.address()).isEqualTo(segment.buffer().address()));
        });
    }

    @Test
    void zeroSegmentSizeIsRejected() {
        this.contextRunner.withPropertyValues("mooncake.global-segment-size=0").run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                .hasMessageContaining("mooncake.global-segment-size");
        });
    }

    @Test
    void localBufferPoolLeasesAndMergesRanges() {
        this.contextRunner.withPropertyValues("mooncake.local-buffer-size=64KB").run((context) -> {
            MooncakeLocalBufferPool pool = context.getBean(MooncakeLocalBufferPool.class);
            assertThat(pool.size()).isEqualTo(64 << 10);
            MooncakeLocalBufferPool.Lease a = pool.lease(100);
            MooncakeLocalBufferPool.Lease b = pool.lease(32 << 10);
            assertThat(a.offset()).isZero();
            assertThat(b.offset()).isEqualTo(128);
            assertThat(pool.available()).isEqualTo((64 << 10) - 128 - (32 << 10));
            a.byteBuffer().put(0, (byte) 7);
            assertThat(pool.buffer().byteBuffer().get(0)).isEqualTo((byte) 7);
            assertThatThrownBy(() -> pool.lease(40 << 10)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("raise mooncake.local-buffer-size");
            a.close();
            b.close();
            b.close();
            assertThat(pool.available()).isEqualTo(64 << 10);
            assertThat(pool.lease(64 << 10).offset()).isZero();
        });
    }

    @Test
    void segmentClosesTheEngineBeforeFreeingItsMemory() {
        MooncakeEngine engine = mock(MooncakeEngine.class);
        LocalBuffer buffer = mock(LocalBuffer.class);
        given(buffer.length()).willReturn(4096L);
        new MooncakeGlobalSegment(engine, buffer).close();
        InOrder order = inOrder(engine, buffer);
        order.verify(engine).close();
        order.verify(buffer).close();
    }

    @Test
    void masterServerAddressIsValidatedAndExposed() {
        this.mappingRunner.withPropertyValues("mooncake.master-server-address=10.0.0.1:50051")
            .run((context) -> assertThat(context.getBean(MooncakeMasterServer.class))
                .isEqualTo(new MooncakeMasterServer("10.0.0.1", 50051)));
        this.mappingRunner.withPropertyValues("mooncake.master-server-address=[fd00::1]:50051")
            .run((context) -> assertThat(context.getBean(MooncakeMasterServer.class).address())
                .isEqualTo("[fd00::1]:50051"));
    }

    @Test
    void masterServerAddressWithoutPortFails() {
        this.mappingRunner.withPropertyValues("mooncake.master-server-address=10.0.0.1").run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                .isInstanceOfSatisfying(InvalidConfigurationPropertyValueException.class, (ex) -> {
                    assertThat(ex.getName()).isEqualTo("mooncake.master-server-address");
                    assertThat(ex.getValue()).isEqualTo("10.0.0.1");
                    assertThat(ex.getReason()).contains("host:port");
                });
        });
    }

    @Test
    void badMetadataServerFormNamesThePropertyAndTheForms() {
        this.mappingRunner.withPropertyValues("mooncake.metadata-server=zk://10.0.0.1:2181").run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                .isInstanceOfSatisfying(InvalidConfigurationPropertyValueException.class, (ex) -> {
                    assertThat(ex.getName()).isEqualTo("mooncake.metadata-server");
                    assertThat(ex.getReason()).contains("unknown scheme 'zk'").contains("P2PHANDSHAKE");
                });
        });
    }

    @Test
    void engineValidationFailureNamesTheProperty() {
        this.mappingRunner.withPropertyValues("mooncake.slice-size=1KB").run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                .isInstanceOfSatisfying(InvalidConfigurationPropertyValueException.class, (ex) -> {
                    assertThat(ex.getName()).isEqualTo("mooncake.slice-size");
                    assertThat(ex.getReason()).contains("4 KiB..64 MiB");
                });
        });
        this.mappingRunner.withPropertyValues("mooncake.rpc-port-range.min=17000", "mooncake.rpc-port-range.max=16000")
            .run((context) -> assertThat(context.getStartupFailure()).rootCause()
                .isInstanceOfSatisfying(InvalidConfigurationPropertyValueException.class,
                        (ex) -> assertThat(ex.getName()).isEqualTo("mooncake.rpc-port-range")));
        this.mappingRunner.withPropertyValues("mooncake.slice-size=3GB")
            .run((context) -> assertThat(context.getStartupFailure()).rootCause()
                .isInstanceOfSatisfying(InvalidConfigurationPropertyValueException.class,
                        (ex) -> assertThat(ex.getName()).isEqualTo("mooncake.slice-size")));
    }

    @Test
    void tcpServerLimitsBindAndABadOneNamesItsProperty() {
        this.mappingRunner
            .withPropertyValues("mooncake.tcp.max-inbound-connections=100",
                    "mooncake.tcp.max-inbound-connections-per-address=10", "mooncake.tcp.idle-timeout=0s",
                    "mooncake.tcp.body-timeout=5s", "mooncake.tcp.reset-on-peer-close=false")
            .run((context) -> assertThat(context.getBean(EngineConfig.class).tcpServerLimits())
                .isEqualTo(new io.mooncake.engine.config.TcpServerLimits(100, 10, java.time.Duration.ZERO,
                        java.time.Duration.ofSeconds(5), false)));
        this.mappingRunner.run((context) -> assertThat(context.getBean(EngineConfig.class).tcpServerLimits())
            .isEqualTo(io.mooncake.engine.config.TcpServerLimits.DEFAULTS));
        this.mappingRunner.withPropertyValues("mooncake.tcp.max-inbound-connections-per-address=0")
            .run((context) -> assertThat(context.getStartupFailure()).rootCause()
                .isInstanceOfSatisfying(InvalidConfigurationPropertyValueException.class, (ex) -> {
                    assertThat(ex.getName()).isEqualTo("mooncake.tcp.max-inbound-connections-per-address");
                    assertThat(ex.getReason()).contains("1 or more");
                }));
    }

    @Test
    void blankLocalHostnameFails() {
        this.mappingRunner.withPropertyValues("mooncake.local-hostname= ").run((context) -> assertThat(context
            .getStartupFailure()).rootCause()
            .isInstanceOfSatisfying(InvalidConfigurationPropertyValueException.class,
                    (ex) -> assertThat(ex.getName()).isEqualTo("mooncake.local-hostname")));
    }

    @Configuration(proxyBeanMethods = false)
    static class CustomizerConfiguration {

        @Bean
        @Order(2)
        EngineConfigCustomizer second() {
            return (builder) -> builder.connectionsPerPeer(builder.build().connectionsPerPeer() + 1);
        }

        @Bean
        @Order(1)
        EngineConfigCustomizer first() {
            return (builder) -> builder.connectionsPerPeer(builder.build().connectionsPerPeer() * 3);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(OtherSizeProperties.class)
    static class OtherSizeConfiguration {
    }

    @ConfigurationProperties("other")
    public static class OtherSizeProperties {

        private DataSize size;

        public DataSize getSize() {
            return this.size;
        }

        public void setSize(DataSize size) {
            this.size = size;
        }
    }

}
