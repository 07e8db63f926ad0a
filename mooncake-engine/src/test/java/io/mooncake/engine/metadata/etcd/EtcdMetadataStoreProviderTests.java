package io.mooncake.engine.metadata.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.metadata.MetadataConnection;
import io.mooncake.engine.metadata.MetadataUnavailableException;
import org.junit.jupiter.api.Test;

/** The etcd provider when jetcd is not on the classpath. */
class EtcdMetadataStoreProviderTests {

    @Test
    void withoutJetcdOnTheClasspathCreateSaysWhatToAdd() {
        EtcdMetadataStoreProvider p = new EtcdMetadataStoreProvider(name -> false);
        MetadataConnection c = MetadataConnection.parse("etcd://10.0.0.1:2379");
        assertThat(p.supports(c)).isTrue();
        assertThatThrownBy(() -> p.create(c, EngineConfig.builder().metadataServer("etcd://10.0.0.1:2379").build()))
                .isInstanceOf(MetadataUnavailableException.class)
                .hasMessageContaining("'etcd://10.0.0.1:2379'")
                .hasMessageContaining("io.etcd:jetcd-core")
                .hasMessageContaining("P2PHANDSHAKE");
    }

    @Test
    void jetcdIsDetectedWhenPresent() {
        assertThat(EtcdMetadataStoreProvider.onClasspath(EtcdMetadataStoreProvider.CLIENT_CLASS)).isTrue();
        assertThat(EtcdMetadataStoreProvider.onClasspath("io.etcd.jetcd.NoSuchClass")).isFalse();
    }
}
