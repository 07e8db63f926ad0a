package io.mooncake.engine.api;

import java.util.Objects;

/**
 * Base of every exception the engine throws: an unchecked exception carrying an {@link ErrorCode}.
 * Messages say what failed, the offending value and what to do about it.
 */
public class MooncakeException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    public MooncakeException(ErrorCode code, String message) {
        super(message);
        this.code = Objects.requireNonNull(code, "code");
    }

    public MooncakeException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    /** The error code, with the reference engine's integer value. */
    public ErrorCode code() {
        return code;
    }
}
