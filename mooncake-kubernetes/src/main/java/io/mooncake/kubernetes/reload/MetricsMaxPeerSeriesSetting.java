package io.mooncake.kubernetes.reload;

import io.mooncake.autoconfigure.metrics.MooncakeMetricsProperties;
import io.mooncake.autoconfigure.metrics.MooncakeTransferMetrics;
import java.util.function.Supplier;
import org.springframework.boot.context.properties.bind.Binder;

/**
 * {@code mooncake.metrics.max-peer-series}, live: the cap on peers with their own series moves at
 * once (existing series stay; see {@link MooncakeTransferMetrics#setMaxPeerSeries}).
 */
public final class MetricsMaxPeerSeriesSetting implements LiveSetting {

    /** The property. */
    public static final String PROPERTY = "mooncake.metrics.max-peer-series";

    private final Supplier<MooncakeTransferMetrics> metrics;

    /** @param metrics the running meters, or a supplier of {@code null} when metrics are off */
    public MetricsMaxPeerSeriesSetting(Supplier<MooncakeTransferMetrics> metrics) {
        this.metrics = metrics;
    }

    @Override
    public String property() {
        return PROPERTY;
    }

    @Override
    public String apply(Binder binder) {
        int value = binder.bind(PROPERTY, Integer.class).orElse(MooncakeMetricsProperties.DEFAULT_MAX_PEER_SERIES);
        if (value < 0) {
            throw new IllegalArgumentException(PROPERTY + " must be 0 or more, got " + value);
        }
        MooncakeTransferMetrics running = this.metrics.get();
        if (running == null) {
            return "metrics are off (mooncake.metrics.enabled=false): no meters to change";
        }
        running.setMaxPeerSeries(value);
        return "peer series capped at " + value;
    }
}
