package io.mooncake.jna.verbs;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;

/**
 * A verbs call failed: the call, the device, errno and its text, as Netty's {@code Errors} words
 * native failures, e.g. "ibv_modify_qp(mlx5_0, INIT->RTR) failed: errno 22 (Invalid argument)".
 */
public final class VerbsException extends MooncakeException {

    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;

    public VerbsException(ErrorCode code, String call, int errno, String detail) {
        super(code, call + " failed: " + (errno == 0 ? "" : "errno " + errno + " (" + Errno.text(errno) + ")")
                + (detail == null || detail.isEmpty() ? "" : (errno == 0 ? "" : "; ") + detail));
        this.call = call;
        this.errno = errno;
    }

    /** The verbs call with its arguments, e.g. {@code ibv_reg_mr(mlx5_0, 0x7f.., 1048576)}. */
    public String call() {
        return call;
    }

    /** The errno, 0 when the call gave none. */
    public int errno() {
        return errno;
    }
}
