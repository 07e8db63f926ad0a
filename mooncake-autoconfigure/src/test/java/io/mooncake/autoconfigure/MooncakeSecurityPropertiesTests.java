package io.mooncake.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.actuate.endpoint.MooncakeEndpoint;
import io.mooncake.autoconfigure.endpoint.MooncakeEndpointAutoConfiguration;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.core.MooncakeEngine;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** mooncake.tls.* and mooncake.auth.* through Spring: mapped, shown in words, errors naming the property. */
class MooncakeSecurityPropertiesTests {

    private static final String PASSWORD = "store-pass-4711";

    @TempDir
    static Path dir;

    private static Path keyStore;

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(MooncakeAutoConfiguration.class,
                MooncakeEndpointAutoConfiguration.class))
        .withPropertyValues("mooncake.local-hostname=127.0.0.1", "mooncake.io-threads=1",
                "management.endpoints.web.exposure.include=mooncake");

    @BeforeAll
    static void keyStore() throws Exception {
        keyStore = dir.resolve("node.p12");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "node", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=node",
                "-validity", "2", "-storetype", "PKCS12", "-keystore", keyStore.toString(), "-storepass", PASSWORD,
                "-keypass", PASSWORD).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor()).isZero();
    }

    @Test
    void tlsFromAKeyStoreRunsAndIsShownOnTheEndpoint() {
        this.contextRunner
            .withPropertyValues("mooncake.tls.enabled=true", "mooncake.tls.key-store=" + keyStore,
                    "mooncake.tls.key-store-password=" + PASSWORD)
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertThat(context.getBean(EngineConfig.class).tls()).isNotNull();
                MooncakeEngine engine = context.getBean(MooncakeEngine.class);
                assertThat(engine.openSegment(engine.localSegmentName())).isNotNull();
                MooncakeEndpoint.SecurityDescriptor s = context.getBean(MooncakeEndpoint.class).mooncake().security();
                assertThat(s.tls()).isEqualTo("on");
                assertThat(s.authentication()).isEqualTo("off");
                assertThat(context.getBean(MooncakeProperties.class).getTls().toString()).doesNotContain(PASSWORD);
            });
    }

    @Test
    void aWrongKeyStorePasswordFailsStartupNamingThePasswordPropertyButNotThePassword() {
        this.contextRunner
            .withPropertyValues("mooncake.tls.enabled=true", "mooncake.tls.key-store=" + keyStore,
                    "mooncake.tls.key-store-password=not-the-password")
            .run((context) -> {
                assertThat(context).hasFailed();
                Throwable t = context.getStartupFailure();
                assertThat(t).rootCause().hasMessageContaining("mooncake.tls.key-store-password");
                for (; t != null; t = t.getCause()) {
                    assertThat(String.valueOf(t.getMessage())).doesNotContain("not-the-password");
                }
            });
    }

    @Test
    void aMissingKeyStoreOrBundleFailsStartupNamingTheProperty() {
        this.contextRunner
            .withPropertyValues("mooncake.tls.enabled=true", "mooncake.tls.key-store=" + dir.resolve("none.p12"))
            .run((context) -> assertThat(context.getStartupFailure()).rootCause()
                .hasMessageContaining("mooncake.tls.key-store")
                .hasMessageContaining("does not exist"));
        this.contextRunner.withPropertyValues("mooncake.tls.enabled=true", "mooncake.tls.bundle=cluster")
            .run((context) -> assertThat(context.getStartupFailure()).rootCause()
                .hasMessageContaining("mooncake.tls.bundle"));
        this.contextRunner.withPropertyValues("mooncake.tls.enabled=true")
            .run((context) -> assertThat(context.getStartupFailure()).rootCause()
                .hasMessageContaining("mooncake.tls.key-store")
                .hasMessageContaining("mooncake.tls.certificate"));
    }
}
