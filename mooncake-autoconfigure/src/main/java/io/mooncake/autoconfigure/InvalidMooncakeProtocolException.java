package io.mooncake.autoconfigure;

/** {@code mooncake.protocol} names no protocol the engine knows. */
public class InvalidMooncakeProtocolException extends MooncakeStartupException {

    private static final long serialVersionUID = 1L;

    public InvalidMooncakeProtocolException(String property, String value, String origin, Throwable cause) {
        super("Invalid Mooncake protocol '" + value + "' in " + property + ": " + cause.getMessage(), property, value,
                origin, cause);
    }
}
