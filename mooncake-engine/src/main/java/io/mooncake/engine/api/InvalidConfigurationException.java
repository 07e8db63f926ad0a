package io.mooncake.engine.api;

/** A configuration value is out of its valid range; names the field, the value and what is valid. */
public class InvalidConfigurationException extends MooncakeException {

    private static final long serialVersionUID = 1L;

    private final String field;
    private final transient Object value;

    public InvalidConfigurationException(String field, Object value, String valid) {
        super(ErrorCode.INVALID_ARGUMENT, "invalid " + field + " '" + value + "'; expected " + valid);
        this.field = field;
        this.value = value;
    }

    /** The {@link io.mooncake.engine.config.EngineConfig} field, such as {@code sliceSize}. */
    public String field() {
        return field;
    }

    /** The rejected value. */
    public Object value() {
        return value;
    }
}
