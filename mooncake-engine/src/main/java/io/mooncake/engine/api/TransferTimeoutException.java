package io.mooncake.engine.api;

/** A transfer, connect or handshake did not finish before its deadline. */
public class TransferTimeoutException extends MooncakeException {

    private static final long serialVersionUID = 1L;

    public TransferTimeoutException(String message) {
        super(ErrorCode.TIMEOUT, message);
    }
}
