package io.mooncake.autoconfigure.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.BDDMockito.given;

import io.mooncake.autoconfigure.TestEngines;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.transport.Availability.Cause;
import io.mooncake.health.MooncakeHealthIndicator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

class MooncakeHealthIndicatorTests {

    @Test
    void runningEngineWithReachableMetadataIsUpWithItsFacts() {
        Health health = new MooncakeHealthIndicator(TestEngines.mock()).health();
        assertThat(health.getStatus()).isEqualTo(Status.UP);
        assertThat(health.getDetails()).containsEntry("segment", "127.0.0.1:12001")
            .containsEntry("protocol", "tcp")
            .containsEntry("metadata", "etcd at 10.0.0.5:2379")
            .containsEntry("metadataReachable", true)
            .containsEntry("peers", 2)
            .containsKey("transports")
            .doesNotContainKey("failedTransports");
    }

    @Test
    void fallbackBecauseHardwareIsAbsentIsStillUpAndShowsTheFallback() {
        Health health = new MooncakeHealthIndicator(TestEngines.mock(TestEngines.fellBack("rdma", Cause.NO_DEVICE)))
            .health();
        assertThat(health.getStatus()).isEqualTo(Status.UP);
        assertThat(health.getDetails()).containsEntry("fallbacks", Map.of("rdma", "NO_DEVICE -> tcp"));
    }

    @Test
    void transportThatFailedToStartIsDownWithItsReasonAndFix() {
        Health health = new MooncakeHealthIndicator(TestEngines.mock(TestEngines.fellBack("rdma", Cause.INIT_FAILED)))
            .health();
        assertThat(health.getStatus()).isEqualTo(Status.DOWN);
        assertThat(health.getDetails()).containsEntry("failedTransports",
                Map.of("rdma", "rdma probe said INIT_FAILED; fix rdma"));
    }

    @Test
    void transportThatIsNotListeningIsDown() {
        MooncakeEngine engine = TestEngines.mock();
        given(engine.transportStats()).willReturn(Map.of("tcp", Map.of("dataPort", 0)));
        Health health = new MooncakeHealthIndicator(engine).health();
        assertThat(health.getStatus()).isEqualTo(Status.DOWN);
        assertThat(health.getDetails()).containsEntry("failedTransports",
                Map.of("tcp", "running but not listening (data port 0)"));
    }

    @Test
    void unreachableMetadataIsDegradedAndListsPeersThatStillWorkFromCache() {
        MooncakeEngine engine = TestEngines.mock();
        given(engine.metadataReachable()).willReturn(false);
        Health health = new MooncakeHealthIndicator(engine).health();
        assertThat(health.getStatus()).isEqualTo(MooncakeHealthIndicator.DEGRADED);
        assertThat(health.getStatus().getCode()).isEqualTo("DEGRADED");
        assertThat(health.getDetails()).containsEntry("metadataReachable", false)
            .containsEntry("cachedPeers", List.of("10.0.0.2:12001"))
            .containsEntry("stalePeers", List.of("10.0.0.3:12001"));
    }

    @Test
    void engineThatThrowsIsDown() {
        MooncakeEngine engine = TestEngines.mock();
        given(engine.selection()).willThrow(new IllegalStateException("engine closed"));
        Health health = new MooncakeHealthIndicator(engine).health();
        assertThat(health.getStatus()).isEqualTo(Status.DOWN);
        assertThat(health.getDetails().get("error").toString()).contains("engine closed");
    }
}
