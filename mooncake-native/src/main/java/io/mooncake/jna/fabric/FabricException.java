package io.mooncake.jna.fabric;

/**
 * A libfabric call that failed: the call, its negative return code and {@code fi_strerror} of it,
 * in the style "fi_mr_reg(len=4096) failed: -22 Invalid argument".
 */
public final class FabricException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String call;
    private final int rc;

    public FabricException(String call, int rc, String text) {
        super(call + " failed: " + rc + " " + text);
        this.call = call;
        this.rc = rc;
    }

    /** The libfabric call, with the arguments that identify it. */
    public String call() {
        return call;
    }

    /** The negative error number the call returned, e.g. {@code -61} ({@code -FI_ENODATA}). */
    public int rc() {
        return rc;
    }
}
