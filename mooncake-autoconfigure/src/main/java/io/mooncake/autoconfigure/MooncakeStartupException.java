package io.mooncake.autoconfigure;

/**
 * Base of the exceptions the auto-configuration throws when the engine cannot start; each names
 * the property that caused it, its value and where that value came from, and has a
 * {@link org.springframework.boot.diagnostics.FailureAnalyzer} that says what to do.
 */
public abstract class MooncakeStartupException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String property;

    private final transient Object value;

    private final String origin;

    protected MooncakeStartupException(String message, String property, Object value, String origin,
            Throwable cause) {
        super(message, cause);
        this.property = property;
        this.value = value;
        this.origin = origin;
    }

    /** The property, e.g. {@code mooncake.protocol}. */
    public String getProperty() {
        return this.property;
    }

    /** The value that failed. */
    public Object getValue() {
        return this.value;
    }

    /** Where the value came from (an environment variable, a file), or {@code null} for a default. */
    public String getOrigin() {
        return this.origin;
    }

    /** {@code 'mooncake.x' (from ...)} or {@code 'mooncake.x' (default value)}, for reports. */
    public String describeSource() {
        return "'" + this.property + "' (" + ((this.origin != null) ? "from " + this.origin : "default value") + ")";
    }
}
