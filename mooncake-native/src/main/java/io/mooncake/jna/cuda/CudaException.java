package io.mooncake.jna.cuda;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;

/** A CUDA driver call failed: names the call, what it was doing, the driver's error name and code. */
public final class CudaException extends MooncakeException {

    private static final long serialVersionUID = 1L;

    private final int status;

    CudaException(ErrorCode code, String message, int status) {
        super(code, message);
        this.status = status;
    }

    /** The {@code CUresult}. */
    public int status() {
        return status;
    }
}
