package io.mooncake.engine.transport;

import io.mooncake.engine.batch.TransferTask;
import io.mooncake.engine.metadata.SegmentDescriptor;
import java.util.Map;
import tools.jackson.databind.node.ObjectNode;

/**
 * One protocol's data path. The engine routes each request to the transport named by the
 * target segment descriptor's {@code protocol}.
 *
 * <p>Threading: {@link #submit} is called on the caller's thread and must not block; the
 * transport's own threads complete each slice of the task exactly once through
 * {@link TransferTask#sliceCompleted} or {@link TransferTask#sliceFailed}.
 */
public interface Transport extends AutoCloseable {

    /** The protocol string this transport serves. */
    String protocol();

    /** Opens devices and binds listeners; throws {@link io.mooncake.engine.api.MooncakeException} on failure. */
    void start();

    /**
     * Adds this transport's part to the local segment descriptor (data port, devices, keys),
     * returning the descriptor to publish.
     */
    SegmentDescriptor describe(SegmentDescriptor base);

    /**
     * Starts moving one request. Validated by the engine already: the local range is registered
     * and the remote range lies in one of the target's published buffers.
     */
    void submit(TransferTask task);

    /**
     * Answers a handshake Connection request (type 0) addressed to this transport, or returns
     * {@code null} when it does not take part in connection setup.
     */
    default ObjectNode onConnectionRequest(ObjectNode request) {
        return null;
    }

    /**
     * The task's deadline passed while its slices were still queued or moving: stop them (for
     * example by closing the connections they wait on), so every slice ends and the local memory
     * it holds is released. Called on the timer thread; must not block.
     */
    default void abort(TransferTask task) {
    }

    /** Drops cached connections and state for a peer that left or re-registered. */
    default void peerInvalidated(String segmentName) {
    }

    /** Facts for health and Actuator (open connections, bytes queued), never secrets. */
    default Map<String, Object> stats() {
        return Map.of();
    }

    /** Stops I/O; in-flight slices end FAILED. */
    @Override
    void close();
}
