package io.mooncake.transport.rdma;

/**
 * Told how each slice of a request ended: exactly once per slice, on a NIC worker thread (or the
 * submitting thread when a slice cannot even be posted). Implementations must not block.
 */
public interface SliceListener {

    void sliceCompleted(int slice, int bytes);

    void sliceFailed(int slice, String reason);
}
