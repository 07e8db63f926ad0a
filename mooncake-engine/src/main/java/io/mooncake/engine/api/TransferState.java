package io.mooncake.engine.api;

/**
 * State of one transfer request, with the reference engine's ordinals
 * ({@code TransferStatusEnum}: WAITING 0, PENDING 1, INVALID 2, CANCELED 3, COMPLETED 4, TIMEOUT 5, FAILED 6).
 * Every submitted request ends in exactly one of {@link #isTerminal() the terminal states}.
 */
public enum TransferState {
    WAITING,
    PENDING,
    INVALID,
    CANCELED,
    COMPLETED,
    TIMEOUT,
    FAILED;

    /** Whether the request has ended and its state will not change again. */
    public boolean isTerminal() {
        return this == CANCELED || this == COMPLETED || this == TIMEOUT || this == FAILED || this == INVALID;
    }
}
