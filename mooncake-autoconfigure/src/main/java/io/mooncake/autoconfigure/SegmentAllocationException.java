package io.mooncake.autoconfigure;

import org.springframework.util.unit.DataSize;

/** The segment or staging pool size configured cannot be allocated and registered. */
public class SegmentAllocationException extends MooncakeStartupException {

    private static final long serialVersionUID = 1L;

    private final String reason;

    public SegmentAllocationException(String property, DataSize size, String origin, String reason, Throwable cause) {
        super("Mooncake cannot allocate " + size.toBytes() + " bytes for " + property + ": " + reason, property, size,
                origin, cause);
        this.reason = reason;
    }

    /** Why, e.g. {@code it exceeds this host's 16 GiB of memory}. */
    public String getReason() {
        return this.reason;
    }

    /** The size asked for. */
    public DataSize getSize() {
        return (DataSize) getValue();
    }
}
