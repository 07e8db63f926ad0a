package io.mooncake.engine.api;

/** A protocol was requested that cannot run here; {@link #reason()} says why. */
public class TransportUnavailableException extends MooncakeException {

    private static final long serialVersionUID = 1L;

    private final String protocol;
    private final String reason;

    public TransportUnavailableException(String protocol, String reason) {
        super(ErrorCode.TRANSPORT_UNAVAILABLE, "protocol '" + protocol + "' unavailable: " + reason);
        this.protocol = protocol;
        this.reason = reason;
    }

    public String protocol() {
        return protocol;
    }

    public String reason() {
        return reason;
    }
}
