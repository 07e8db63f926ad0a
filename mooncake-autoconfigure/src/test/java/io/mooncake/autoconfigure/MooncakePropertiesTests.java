package io.mooncake.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.api.Protocol;
import io.mooncake.engine.config.EngineConfig;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Documented defaults match the engine's, and the IDE metadata follows the description rules. */
class MooncakePropertiesTests {

    @Test
    void defaultsMatchTheEngine() {
        MooncakeProperties p = new MooncakeProperties();
        EngineConfig engine = EngineConfig.builder().build();
        assertThat(p.getLocalHostname()).isEqualTo(engine.localHostname());
        assertThat(p.getMetadataServer()).isEqualTo(engine.metadataServer());
        assertThat(p.getProtocol()).isEqualTo(engine.protocol());
        assertThat(p.getHandshakePort()).isEqualTo(engine.handshakePort());
        assertThat(p.getTcpDataPort()).isEqualTo(engine.tcpDataPort());
        assertThat(p.getRpcPortRange().getMin()).isEqualTo(engine.minRpcPort());
        assertThat(p.getRpcPortRange().getMax()).isEqualTo(engine.maxRpcPort());
        assertThat(p.getIoThreads()).isNull();
        assertThat(p.getConnectionsPerPeer()).isEqualTo(engine.connectionsPerPeer());
        assertThat(p.getSliceSize().toBytes()).isEqualTo(engine.sliceSize());
        assertThat(p.getSocketBufferSize().toBytes()).isEqualTo(engine.socketBufferSize());
        assertThat(p.getTransferTimeout()).isEqualTo(engine.transferTimeout());
        assertThat(p.getConnectTimeout()).isEqualTo(engine.connectTimeout());
        assertThat(p.getHandshakeTimeout()).isEqualTo(engine.handshakeTimeout());
        assertThat(p.getHandshakeMaxLength().toBytes()).isEqualTo(engine.handshakeMaxLength());
        assertThat(p.getNotifyQueueCapacity()).isEqualTo(engine.notifyQueueCapacity());
        assertThat(p.getNotifyQueueMaxBytes().toBytes()).isEqualTo(engine.notifyQueueMaxBytes());
        assertThat(p.getTcpProtoVersion()).isEqualTo(engine.tcpProtoVersion());
        assertThat(p.isFallbackToTcp()).isEqualTo(engine.fallbackToTcp());
        assertThat(p.isForceTcp()).isEqualTo(engine.forceTcp());
        assertThat(p.getMetadataRefreshInterval()).isEqualTo(engine.metadataRefreshInterval());
        assertThat(p.getMetadataTtl()).isEqualTo(engine.metadataTtl());
        assertThat(p.getGlobalSegmentSize()).isNull();
        assertThat(p.getLocalBufferSize()).isNull();
        assertThat(p.getMasterServerAddress()).isNull();
        assertThat(p.isMapEnvironmentVariables()).isTrue();
    }

    @Test
    void metadataDescribesEveryPropertyByTheRules() throws IOException {
        JsonNode metadata = metadata();
        List<String> problems = new ArrayList<>();
        for (JsonNode property : metadata.get("properties")) {
            String name = property.get("name").asString();
            String description = property.path("description").asString("");
            if (description.isBlank()) {
                problems.add(name + ": no description");
            }
            if (description.startsWith("The ")) {
                problems.add(name + ": starts with 'The'");
            }
            if ("java.lang.Boolean".equals(property.path("type").asString()) && !description.startsWith("Whether")) {
                problems.add(name + ": boolean not starting with 'Whether'");
            }
        }
        assertThat(problems).isEmpty();
        // 51 mooncake.* (2 of them mooncake.cxl.*, 1 mooncake.auth.*, 9 mooncake.tls.*, 5 mooncake.tcp.*),
        // 2 mooncake.metrics.*, 2 management.endpoint.mooncake.* (generated for the endpoint)
        assertThat(metadata.get("properties")).hasSize(55);
    }

    @Test
    void metadataHintsListTheTenProtocolsAndTheMetadataServerForms() throws IOException {
        JsonNode metadata = metadata();
        List<String> protocols = new ArrayList<>();
        List<String> forms = new ArrayList<>();
        for (JsonNode hint : metadata.get("hints")) {
            for (JsonNode value : hint.path("values")) {
                if ("mooncake.protocol".equals(hint.get("name").asString())) {
                    protocols.add(value.get("value").asString());
                }
                if ("mooncake.metadata-server".equals(hint.get("name").asString())) {
                    forms.add(value.get("value").asString());
                }
            }
        }
        assertThat(protocols).containsExactly(java.util.Arrays.stream(Protocol.values()).map(Protocol::id)
            .toArray(String[]::new));
        assertThat(forms).containsExactly("P2PHANDSHAKE", "etcd://host:2379", "http://host:8080/metadata",
                "redis://host:6379", "host:2379");
    }

    @Test
    void metadataCarriesTheDocumentedDefaults() throws IOException {
        for (JsonNode property : metadata().get("properties")) {
            if (property.get("name").asString().equals("mooncake.slice-size")) {
                // the IDE hint must be the engine's real default
                assertThat(property.get("defaultValue").asString())
                    .isEqualTo((EngineConfig.DEFAULT_SLICE_SIZE / 1024) + "KB");
                return;
            }
        }
        throw new AssertionError("mooncake.slice-size missing from the metadata");
    }

    private static JsonNode metadata() throws IOException {
        try (InputStream in = MooncakePropertiesTests.class
            .getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            assertThat(in).as("generated metadata").isNotNull();
            return JsonMapper.builder().build().readTree(in);
        }
    }
}
