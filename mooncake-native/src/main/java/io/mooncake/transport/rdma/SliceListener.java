package io.mooncake.transport.rdma;

/**
 * Told how each slice of a request ended: exactly once per slice, on a NIC worker thread (or the
 * submitting thread when a slice cannot even be posted). Implementations must not block.
 */
public interface SliceListener {

    void sliceCompleted(int slice, int bytes);

    /**
     * @param peerRejected whether the peer's NIC refused the access (key, range or rights): retrying
     *        elsewhere cannot help
     */
    void sliceFailed(int slice, boolean peerRejected, String reason);
}
