package io.mooncake.engine.api;

/**
 * Error codes of the reference engine ({@code ERR_*} in its {@code error.h}), kept with their
 * numeric values so that Python-style callers can return the same integers.
 */
public enum ErrorCode {
    INVALID_ARGUMENT(-1),
    TOO_MANY_REQUESTS(-2),
    ADDRESS_NOT_REGISTERED(-3),
    BATCH_BUSY(-4),
    DEVICE_NOT_FOUND(-6),
    ADDRESS_OVERLAPPED(-7),
    DNS(-101),
    SOCKET(-102),
    MALFORMED_JSON(-103),
    REJECT_HANDSHAKE(-104),
    METADATA(-200),
    ENDPOINT(-201),
    NUMA(-300),
    CLOCK(-301),
    MEMORY(-302),
    NOT_IMPLEMENTED(-303),
    /** A protocol was asked for that cannot run on this host (no device, no library, no permission). */
    TRANSPORT_UNAVAILABLE(-304),
    /** A request or call did not finish before its deadline. */
    TIMEOUT(-305);

    private final int value;

    ErrorCode(int value) {
        this.value = value;
    }

    /** The reference engine's integer for this error. */
    public int value() {
        return value;
    }
}
