package io.mooncake.engine.metadata;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;

/** The metadata service could not be reached or answered with an error. */
public class MetadataUnavailableException extends MooncakeException {

    private static final long serialVersionUID = 1L;

    public MetadataUnavailableException(String message, Throwable cause) {
        super(ErrorCode.METADATA, message, cause);
    }

    public MetadataUnavailableException(String message) {
        super(ErrorCode.METADATA, message);
    }
}
