package io.mooncake.engine.api;

/** A segment name could not be resolved through the metadata service or the peer's handshake port. */
public class SegmentNotFoundException extends MooncakeException {

    private static final long serialVersionUID = 1L;

    private final String segmentName;

    public SegmentNotFoundException(String segmentName, String message, Throwable cause) {
        super(ErrorCode.METADATA, message, cause);
        this.segmentName = segmentName;
    }

    /** The name that could not be resolved. */
    public String segmentName() {
        return segmentName;
    }
}
