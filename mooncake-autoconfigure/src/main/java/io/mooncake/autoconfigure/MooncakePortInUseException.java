package io.mooncake.autoconfigure;

/** A port the engine listens on is already in use. */
public class MooncakePortInUseException extends MooncakeStartupException {

    private static final long serialVersionUID = 1L;

    private final int port;

    public MooncakePortInUseException(String property, int port, String origin, Throwable cause) {
        super("Mooncake cannot listen on port " + port + " (" + property + "): it is already in use", property, port,
                origin, cause);
        this.port = port;
    }

    public int getPort() {
        return this.port;
    }
}
