package io.mooncake.engine.api;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;

/**
 * The transfer engine: registers local memory, publishes it as this node's segment, and moves
 * bytes to and from other nodes' segments with batched asynchronous requests.
 *
 * <p>The reference's verbs keep their names ({@code registerLocalMemory}, {@code openSegment},
 * {@code allocateBatchId}, {@code submitTransfer}, {@code getTransferStatus}, {@code freeBatchId})
 * next to a Java face ({@link #submit}, {@link LocalBuffer}, {@link RemoteBuffer}) that never
 * exposes raw addresses. Arguments are checked on the caller's thread; bad input throws a
 * {@link MooncakeException} naming the value and the fix. Every submitted request ends
 * COMPLETED, FAILED, TIMEOUT or CANCELED.
 *
 * <p>Start one with {@code MooncakeEngine.start(config)} ({@code io.mooncake.engine.core}), which
 * also offers what operators look at (configuration, descriptor, transport selection, counters).
 * This package depends on nothing else of the engine.
 *
 * <p>Thread-safe.
 */
public interface TransferEngine extends AutoCloseable {

    // ---- identity and state

    /** This node's segment name ({@code host:port}). */
    String localSegmentName();

    /** The handshake (RPC) listener port ({@code get_rpc_port}). */
    int rpcPort();

    /** Whether the metadata service answered its last call (always true for P2PHANDSHAKE). */
    boolean metadataReachable();

    /** The metadata service in words (backend and endpoints, never credentials). */
    String metadataDescription();

    /** Registered local memory, sorted by address. */
    List<RegisteredMemory> registeredMemory();

    /** The remote segments opened so far. */
    List<PeerInfo> peers();

    /** Per running transport, its facts (ports, open connections, rejected requests), for health and Actuator. */
    java.util.Map<String, java.util.Map<String, Object>> transportStats();

    // ---- memory

    /**
     * Registers {@code [address, address + length)} as local memory.
     *
     * @param location {@code cpu:N}, {@code cuda:N}, ... or {@code *}
     * @param remoteAccessible whether peers may read and write it (published in the descriptor)
     */
    void registerLocalMemory(long address, long length, String location, boolean remoteAccessible);

    /** Registers remote-accessible memory. */
    default void registerLocalMemory(long address, long length, String location) {
        registerLocalMemory(address, length, location, true);
    }

    /** Registers several ranges and publishes once. */
    void registerLocalMemoryBatch(List<long[]> addressAndLength, String location);

    /** Unregisters the region starting at {@code address}. */
    void unregisterLocalMemory(long address);

    /** Registers a direct buffer (its whole capacity). */
    LocalBuffer registerBuffer(ByteBuffer direct, String location, boolean remoteAccessible);

    /** Allocates, zeroes and registers a remote-accessible buffer; close it to free. */
    LocalBuffer allocateBuffer(long length, String location);

    /** Allocates and registers {@code length} bytes, returning the address ({@code allocate_managed_buffer}). */
    long allocateManagedBuffer(long length);

    /** Frees a buffer from {@link #allocateManagedBuffer}. */
    void freeManagedBuffer(long address, long length);

    // ---- segments

    /**
     * Opens a segment by name: this node's own, or a peer's (fetched through the metadata
     * service, or from the peer's handshake port under P2PHANDSHAKE). Cached.
     *
     * @throws SegmentNotFoundException when it cannot be found
     */
    SegmentHandle openSegment(String name);

    /** Forgets an opened segment. */
    void closeSegment(long segmentId);

    // ---- transfers

    /** Allocates an empty batch for up to {@code batchSize} requests. */
    long allocateBatchId(int batchSize);

    /** Submits requests into a batch; argument errors throw, transfer errors end requests FAILED. */
    void submitTransfer(long batchId, List<TransferRequest> requests);

    /** The status of one request of a batch. */
    TransferStatus getTransferStatus(long batchId, int taskId);

    /** The batch object of an id, for its future. */
    Batch batch(long batchId);

    /** Frees a batch whose requests have all ended; throws BATCH_BUSY otherwise. */
    void freeBatchId(long batchId);

    /** Submits requests as a new batch. The batch is freed when it completes. */
    Batch submit(List<TransferRequest> requests);

    /** Writes and waits; throws when the write does not complete. */
    void transferSyncWrite(String target, long buffer, long peerAddress, long length);

    /** Reads and waits; throws when the read does not complete. */
    void transferSyncRead(String target, long buffer, long peerAddress, long length);

    /** Runs requests to one target as a batch and waits; throws on the first that did not complete. */
    void batchTransferSync(String target, OpCode op, long[] buffers, long[] peerAddresses, long[] lengths);

    /** Waits for a batch at most {@code timeout}; requests still running then end TIMEOUT. */
    default BatchResult await(Batch batch, Duration timeout) {
        return batch.await(timeout);
    }

    // ---- notifications and probes

    /** Sends a notification to a peer's handshake port; throws when it was not accepted. */
    void sendNotify(String target, String message);

    /** Drains the notifications received so far. */
    List<Notify> getNotifies();

    /** Whether a peer's handshake port answers a Probe. */
    boolean probe(String peer);

    /**
     * Stops the engine: new submissions are refused, running requests get up to the grace
     * period, then end FAILED; the segment is withdrawn from the metadata service.
     */
    @Override
    void close();
}
