package io.mooncake.autoconfigure;

/** The metadata server named by {@code mooncake.metadata-server} could not be reached at startup. */
public class MetadataServerUnreachableException extends MooncakeStartupException {

    private static final long serialVersionUID = 1L;

    private final String reason;

    public MetadataServerUnreachableException(String property, String value, String origin, String reason,
            Throwable cause) {
        super("Mooncake metadata server '" + value + "' cannot be reached: " + reason, property, value, origin, cause);
        this.reason = reason;
    }

    /** What failed, e.g. {@code connection refused by 127.0.0.1:2379}. */
    public String getReason() {
        return this.reason;
    }
}
