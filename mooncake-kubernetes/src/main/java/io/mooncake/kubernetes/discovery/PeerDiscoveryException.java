package io.mooncake.kubernetes.discovery;

/** The members of the cluster could not be read; the message says from where and what to check. */
public class PeerDiscoveryException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public PeerDiscoveryException(String message, Throwable cause) {
        super(message, cause);
    }
}
