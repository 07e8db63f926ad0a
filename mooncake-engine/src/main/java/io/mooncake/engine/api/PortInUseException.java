package io.mooncake.engine.api;

/** A listener could not bind its configured port. */
public class PortInUseException extends MooncakeException {

    private static final long serialVersionUID = 1L;

    private final int port;
    private final String listener;

    public PortInUseException(String listener, int port, String message, Throwable cause) {
        super(ErrorCode.SOCKET, message, cause);
        this.port = port;
        this.listener = listener;
    }

    /** The port that could not be bound. */
    public int port() {
        return port;
    }

    /** Which listener: {@code handshake} or {@code tcp data}. */
    public String listener() {
        return listener;
    }
}
