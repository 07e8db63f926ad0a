package io.mooncake.jna.hip;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;

/**
 * A HIP call returned an error: the message names the call, its arguments that matter, the
 * runtime's error name and code, and its description, e.g.
 * {@code hipMalloc(1048576 bytes) on hip:0 failed: hipErrorOutOfMemory (2): out of memory}.
 */
public final class HipException extends MooncakeException {

    private final String call;
    private final int status;
    private final String errorName;

    public HipException(String call, int status, String errorName, String description) {
        super(code(status), call + " failed: " + errorName + " (" + status + ")"
                + (description == null || description.isBlank() || description.equals(errorName) ? "" : ": " + description));
        this.call = call;
        this.status = status;
        this.errorName = errorName;
    }

    private static ErrorCode code(int status) {
        return switch (status) {
            case HipAbi.ERROR_NO_DEVICE, HipAbi.ERROR_INVALID_DEVICE -> ErrorCode.DEVICE_NOT_FOUND;
            case 2 -> ErrorCode.MEMORY; // hipErrorOutOfMemory
            default -> ErrorCode.INVALID_ARGUMENT;
        };
    }

    /** The failing call with its arguments, e.g. {@code hipMalloc(4096 bytes)}. */
    public String call() {
        return call;
    }

    /** The {@code hipError_t} value. */
    public int status() {
        return status;
    }

    /** The runtime's name for {@link #status()}, e.g. {@code hipErrorNoDevice}. */
    public String errorName() {
        return errorName;
    }
}
