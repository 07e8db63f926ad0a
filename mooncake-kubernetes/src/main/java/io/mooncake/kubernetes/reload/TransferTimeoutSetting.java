package io.mooncake.kubernetes.reload;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.core.MooncakeEngine;
import java.time.Duration;
import java.util.function.Supplier;
import org.springframework.boot.context.properties.bind.Binder;

/**
 * {@code mooncake.transfer-timeout}, live: batches submitted after the change get the new deadline
 * (plus 1 ns per byte); batches already running keep theirs.
 */
public final class TransferTimeoutSetting implements LiveSetting {

    /** The property. */
    public static final String PROPERTY = "mooncake.transfer-timeout";

    private final Supplier<MooncakeEngine> engine;

    /** @param engine the running engine, or a supplier of {@code null} when there is none */
    public TransferTimeoutSetting(Supplier<MooncakeEngine> engine) {
        this.engine = engine;
    }

    @Override
    public String property() {
        return PROPERTY;
    }

    @Override
    public String apply(Binder binder) {
        Duration value = binder.bind(PROPERTY, Duration.class).orElse(EngineConfig.DEFAULT_TRANSFER_TIMEOUT);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(PROPERTY + " must be positive, such as 30s, got " + value);
        }
        MooncakeEngine running = this.engine.get();
        if (running == null) {
            return "no engine runs: nothing to change";
        }
        running.transferTimeout(value);
        return "new batches get a " + value.toMillis() + " ms deadline (plus 1 ns per byte)";
    }
}
