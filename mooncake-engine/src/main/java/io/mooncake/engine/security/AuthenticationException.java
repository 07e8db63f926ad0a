package io.mooncake.engine.security;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;

/** A peer did not prove the shared secret; {@link #reason()} says how, for the rejection counter. */
public final class AuthenticationException extends MooncakeException {

    private static final long serialVersionUID = 1L;

    /** How a peer failed, the {@code reason} tag of the rejection counter. */
    public enum Reason {
        /** It sent something other than the exchange (no secret configured, or not a Mooncake peer). */
        NOT_AUTHENTICATING,
        /** It answered with a proof made with another secret. */
        WRONG_PROOF,
        /** It closed, or sent nothing in time, before proving anything. */
        NO_PROOF,
        /** The TLS handshake failed: no certificate or an untrusted one, no common protocol, or not TLS at all. */
        TLS_FAILED
    }

    private final Reason reason;

    public AuthenticationException(Reason reason, String message) {
        super(ErrorCode.REJECT_HANDSHAKE, message);
        this.reason = reason;
    }

    /** How the peer failed. */
    public Reason reason() {
        return reason;
    }
}
