package io.mooncake.autoconfigure.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.TransferState;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The peer-series cap changed while running (a configuration reload on Kubernetes). */
class MooncakeTransferMetricsCapChangeTests {

    private final MeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void raisingTheCapGivesFurtherNewPeersTheirOwnSeries() {
        MooncakeTransferMetrics metrics = bound(1);
        write(metrics, "a", "b");
        assertThat(series("b")).isNull();

        metrics.setMaxPeerSeries(3);
        write(metrics, "c", "d", "e");

        assertThat(metrics.getMaxPeerSeries()).isEqualTo(3);
        assertThat(series("c").count()).isEqualTo(100);
        assertThat(series("d").count()).isEqualTo(100);
        assertThat(series("e")).as("beyond the new cap").isNull();
        assertThat(series("other").count()).isEqualTo(200);
    }

    @Test
    void loweringTheCapKeepsExistingSeriesAndSendsNewPeersToOther() {
        MooncakeTransferMetrics metrics = bound(3);
        write(metrics, "a", "b");

        metrics.setMaxPeerSeries(1);
        write(metrics, "a", "c");

        assertThat(series("a").count()).isEqualTo(200);
        assertThat(series("b")).isNotNull();
        assertThat(series("c")).isNull();
        assertThat(series("other").count()).isEqualTo(100);
    }

    @Test
    void capChangedBeforeBindingApplies() {
        MooncakeTransferMetrics metrics = new MooncakeTransferMetrics(0);
        metrics.setMaxPeerSeries(1);
        metrics.bindTo(this.registry, List.of("tcp"));
        write(metrics, "a");
        assertThat(series("a")).isNotNull();
    }

    @Test
    void negativeCapIsRefusedAndTheRunningCapStays() {
        MooncakeTransferMetrics metrics = bound(2);
        assertThatIllegalArgumentException().isThrownBy(() -> metrics.setMaxPeerSeries(-1))
            .withMessageContaining("mooncake.metrics.max-peer-series");
        assertThat(metrics.getMaxPeerSeries()).isEqualTo(2);
    }

    private MooncakeTransferMetrics bound(int cap) {
        MooncakeTransferMetrics metrics = new MooncakeTransferMetrics(cap);
        metrics.bindTo(this.registry, List.of("tcp"));
        return metrics;
    }

    private static void write(MooncakeTransferMetrics metrics, String... peers) {
        for (String peer : peers) {
            metrics.onTransfer("tcp", peer, OpCode.WRITE, 100, TransferState.COMPLETED, 1);
        }
    }

    private Counter series(String peer) {
        return this.registry.find("mooncake.transfer.peer.bytes").tags("peer", peer, "op", "WRITE").counter();
    }
}
