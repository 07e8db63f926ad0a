package io.mooncake.autoconfigure.metrics;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings of the Mooncake meters.
 */
@ConfigurationProperties("mooncake.metrics")
public class MooncakeMetricsProperties {

    /** Default of {@link #getMaxPeerSeries()}. */
    public static final int DEFAULT_MAX_PEER_SERIES = 16;

    /**
     * Whether to record Mooncake transfer metrics (request timers, per-peer bytes) and bind the
     * engine's counters to the meter registry.
     */
    private boolean enabled = true;

    /**
     * Most peers that get their own 'peer' tag on mooncake.transfer.peer.bytes, first come first
     * served; traffic to any further peer is tagged peer="other". 0 tags every peer "other".
     */
    private int maxPeerSeries = DEFAULT_MAX_PEER_SERIES;

    public boolean isEnabled() {
        return this.enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public int getMaxPeerSeries() {
        return this.maxPeerSeries;
    }

    public void setMaxPeerSeries(int maxPeerSeries) {
        this.maxPeerSeries = maxPeerSeries;
    }
}
