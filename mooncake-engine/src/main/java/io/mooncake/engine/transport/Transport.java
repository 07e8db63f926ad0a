package io.mooncake.engine.transport;

import io.mooncake.engine.batch.CancelCause;
import io.mooncake.engine.batch.TransferTask;
import io.mooncake.engine.memory.Region;
import io.mooncake.engine.metadata.RemoteTarget;
import io.mooncake.engine.metadata.SegmentDescriptor;
import java.util.Map;
import tools.jackson.databind.node.ObjectNode;

/**
 * One data path. Several run at once (the requested protocol, tcp, and the same-host and
 * same-process transports); the engine routes each request to the running transport that
 * {@link #reach reaches} its target best and, on a failure another transport might not have,
 * hands it to the next.
 *
 * <p>What the engine does for every transport, so none re-implements it: checks the local range
 * (registered) and the remote range (inside a published buffer) on the caller's thread, cuts the
 * request into slices ({@link TransferTask#plan}, at most {@link #sliceSize} bytes each), keeps
 * the deadline, the state machine and the counters. What a transport does: {@link #submit} posts
 * the slices without blocking, and its own threads (or the caller's, for a copy that is cheaper
 * than a hand-off) end each slice exactly once through {@link TransferTask#sliceCompleted} or
 * {@link TransferTask#sliceFailed}.
 *
 * <p>Memory: {@link #registered} sees every region before it is published and may attach
 * per-region data (keys, mapping names, IPC handles) with {@link Region#attach} or refuse the
 * registration; {@link #describe} adds the transport's part to the local descriptor.
 */
public interface Transport extends AutoCloseable {

    /** The protocol string this transport serves. */
    String protocol();

    /** Opens devices and binds listeners; throws {@link io.mooncake.engine.api.MooncakeException} on failure. */
    void start();

    /**
     * Adds this transport's part to the local segment descriptor (data port, devices, per-buffer
     * keys or handles, top-level fields), returning the descriptor to publish. Called on every
     * change of registered memory, in the order transports started.
     */
    SegmentDescriptor describe(SegmentDescriptor base);

    /**
     * A region was registered: attach per-region data ({@link Region#attach(String, Object)}), or
     * throw a {@link io.mooncake.engine.api.MooncakeException} naming why this transport cannot take
     * it, which undoes the registration. A transport that merely cannot serve some kind of memory
     * should not refuse (it says so in {@link #unsupported}); only refuse where the reference would
     * fail registration (a NIC that cannot register it). Called on the registering thread.
     */
    default void registered(Region region) {
    }

    /** A region was unregistered and no transfer uses it any more: drop what was attached. */
    default void unregistered(Region region) {
    }

    /**
     * Whether and how well this transport reaches {@code target}. Cheap; the engine caches the
     * answer until the target's descriptor changes.
     */
    Reach reach(RemoteTarget target);

    /**
     * Why this transport cannot carry this particular request (its local memory kind, the remote
     * buffer's lack of a handle), or {@code null} when it can. Called per request on the
     * submitting thread after {@link #reach} said yes: must be cheap and must not allocate when
     * the answer is {@code null}.
     */
    default String unsupported(TransferTask task) {
        return null;
    }

    /**
     * Whether this transport moves device memory ({@link io.mooncake.engine.memory.MemoryKind#DEVICE}
     * regions) itself (a GPU-aware path: CUDA IPC, a NIC with GPUDirect). When {@code false}, the
     * default, a request whose local memory is device memory is staged by the engine through its
     * pinned host bounce pool (where a {@link io.mooncake.engine.memory.DeviceMemoryAccess} serves
     * the location) and this transport only ever sees host memory. Constant per transport.
     */
    default boolean takesDeviceMemory() {
        return false;
    }

    /**
     * Whether this transport moves this device-memory region itself; by default
     * {@link #takesDeviceMemory()}. A NIC transport that registered the region with GPUDirect
     * (rdma with nvidia-peermem) says yes for the regions it registered. Called per request on
     * the submitting thread: cheap, no allocation.
     */
    default boolean takesDeviceMemory(Region region) {
        return takesDeviceMemory();
    }

    /** The largest slice this transport takes for requests to {@code target}. */
    int sliceSize(RemoteTarget target);

    /**
     * Starts moving a planned task: post its {@link TransferTask#sliceCount()} slices. Validated
     * already: the local range is registered (and held) and the remote range lies in
     * {@link TransferTask#remoteBuffer()}. Must not block.
     */
    void submit(TransferTask task);

    /**
     * The task ended (deadline, or the caller canceled or stopped waiting) while slices may still
     * be queued or moving: make every slice end soon, so the local memory it holds is released.
     * For {@link CancelCause#CALLER} drop the task's slices only; connections serving other
     * requests stay up. Called on the timer or the caller's thread; must not block.
     */
    default void cancel(TransferTask task, CancelCause cause) {
    }

    /**
     * Answers a handshake Connection request (type 0) addressed to this transport, or returns
     * {@code null} when the request is not for it.
     */
    default ObjectNode onConnectionRequest(ObjectNode request) {
        return null;
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
