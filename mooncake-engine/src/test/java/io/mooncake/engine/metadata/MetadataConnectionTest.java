package io.mooncake.engine.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Connection strings in the reference's forms. */
class MetadataConnectionTest {

    @Test
    void p2pIsExact() {
        assertThat(MetadataConnection.parse("P2PHANDSHAKE").isP2p()).isTrue();
        assertThatThrownBy(() -> MetadataConnection.parse("p2phandshake")).hasMessageContaining("in capitals");
    }

    @Test
    void etcdFormsSplitOnCommaAndSemicolon() {
        assertThat(MetadataConnection.parse("etcd://h1:2379,h2:2379;h3:2379").endpoints())
                .containsExactly("h1:2379", "h2:2379", "h3:2379");
        MetadataConnection bare = MetadataConnection.parse("10.0.0.1:2379");
        assertThat(bare.scheme()).isEqualTo("etcd");
        assertThat(bare.endpoints()).isEqualTo(List.of("10.0.0.1:2379"));
    }

    @Test
    void httpKeepsTheWholeUrlAndRedisDefaultsToTheReferencePort() {
        assertThat(MetadataConnection.parse("http://h:8080/metadata").endpoints())
                .containsExactly("http://h:8080/metadata");
        assertThat(MetadataConnection.parse("redis://cache").endpoints()).containsExactly("cache:12001");
        assertThat(MetadataConnection.parse("redis://cache:6379").endpoints()).containsExactly("cache:6379");
    }

    @Test
    void badFormsNameTheValueAndTheSupportedForms() {
        assertThatThrownBy(() -> MetadataConnection.parse("zk://h:1")).hasMessageContaining("unknown scheme 'zk'")
                .hasMessageContaining(MetadataConnection.FORMS);
        assertThatThrownBy(() -> MetadataConnection.parse("etcd://")).hasMessageContaining("no endpoint");
        assertThatThrownBy(() -> MetadataConnection.parse("justahost")).hasMessageContaining("not host:port");
        assertThatThrownBy(() -> MetadataConnection.parse(" ")).hasMessageContaining("empty");
    }

    @Test
    void hostPortParsesIpv6AndDefaults() {
        assertThat(HostPort.parse("[fe80::1]:15000")).isEqualTo(new HostPort("fe80::1", 15000));
        assertThat(HostPort.parse("node-a", 12001)).isEqualTo(new HostPort("node-a", 12001));
        assertThat(HostPort.parse("fe80::1")).isEqualTo(new HostPort("fe80::1", -1));
        assertThat(new HostPort("fe80::1", 1).format(15)).isEqualTo("[fe80::1]:15");
        assertThatThrownBy(() -> HostPort.parse("h:99999")).hasMessageContaining("h:99999");
    }
}
