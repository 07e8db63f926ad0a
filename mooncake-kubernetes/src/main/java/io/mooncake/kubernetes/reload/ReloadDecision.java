package io.mooncake.kubernetes.reload;

/**
 * What a configuration reload did with one changed {@code mooncake.*} property.
 *
 * @param property the property, in canonical form ({@code mooncake.transfer-timeout})
 * @param running the value the running instance uses (masked for secrets)
 * @param configured the value now in the environment, {@code null} when removed (masked for secrets)
 * @param origin where the new value comes from (a ConfigMap, a Secret), or {@code null}
 * @param outcome applied, or refused until a restart
 * @param reason why, in words
 */
public record ReloadDecision(String property, String running, String configured, String origin, Outcome outcome,
        String reason) {

    /** The outcome of a change. */
    public enum Outcome {
        /** Applied to the running instance. */
        APPLIED,
        /** Not applied: the property is read once, at startup; it takes effect at the next start. */
        REFUSED_NEEDS_RESTART,
        /** Not applied: the new value is invalid; the running value stays. */
        REFUSED_INVALID
    }
}
