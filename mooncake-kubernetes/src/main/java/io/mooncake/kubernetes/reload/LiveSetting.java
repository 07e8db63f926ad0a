package io.mooncake.kubernetes.reload;

import org.springframework.boot.context.properties.bind.Binder;

/**
 * A {@code mooncake.*} property that may change while the instance runs, with the code that
 * applies it. {@link MooncakeReloadPolicy} lists them; every other {@code mooncake.*} property is
 * read at startup and refused at run time.
 */
public interface LiveSetting {

    /** The property, in canonical form ({@code mooncake.metrics.max-peer-series}). */
    String property();

    /**
     * Checks the new value and applies it to the running instance. Throws
     * {@link IllegalArgumentException} naming the property and the value when it is invalid; the
     * running value then stays.
     *
     * @param binder binds the environment as it is after the change
     * @return the value now in use, in words
     */
    String apply(Binder binder);
}
