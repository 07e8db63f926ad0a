package io.mooncake.sample;

import io.mooncake.autoconfigure.MooncakeGlobalSegment;
import io.mooncake.autoconfigure.MooncakeLocalBufferPool;
import io.mooncake.engine.api.BatchResult;
import io.mooncake.engine.api.RemoteBuffer;
import io.mooncake.engine.api.SegmentHandle;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.api.TransferRequest;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Profile;
import org.springframework.http.HttpStatusCode;
import org.springframework.stereotype.Service;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestClientException;

/**
 * Moves blocks between instances. A peer is named by its HTTP address ({@code host:port}); HTTP
 * carries only block locations (and the commit of a push), the bytes move engine to engine:
 * a pull reads the peer's segment into the local staging pool, a push writes this segment into a
 * range the peer reserved.
 */
@Service
@Profile("!no-mooncake")
public class PeerTransfers {

    private static final Logger log = LoggerFactory.getLogger(PeerTransfers.class);

    private static final Pattern PEER = Pattern.compile("([A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\]):\\d{1,5}");

    private final MooncakeEngine engine;

    private final BlockStore store;

    private final ObjectProvider<MooncakeLocalBufferPool> pool;

    private final RestClient http = RestClient.create();

    public PeerTransfers(MooncakeEngine engine, BlockStore store, ObjectProvider<MooncakeLocalBufferPool> pool) {
        this.engine = engine;
        this.store = store;
        this.pool = pool;
    }

    /** Reads block {@code id} from {@code peer} through the engine, stores it here and returns it. */
    public byte[] pull(String peer, String id) {
        BlockLocation remote = peerCall(peer, () -> this.http.get()
            .uri(base(peer) + "/blocks/{id}/location", id)
            .retrieve()
            .onStatus(HttpStatusCode::is4xxClientError, (request, response) -> {
                throw new NoSuchBlockException("peer " + peer + " has no block '" + id + "'");
            })
            .body(BlockLocation.class));
        RemoteBuffer buffer = remoteBuffer(remote);
        MooncakeLocalBufferPool staging = this.pool.getIfAvailable();
        if (staging == null || remote.length() == 0) {
            BlockLocation reserved = this.store.reserve(id, remote.length());
            try {
                transfer(TransferRequest.read(this.store.segment().buffer(), reserved.offset(), buffer, remote.offset(),
                        remote.length()), "read", peer, id);
            } catch (RuntimeException ex) {
                this.store.cancel(id);
                throw ex;
            }
            this.store.commit(id);
            return this.store.get(id);
        }
        try (MooncakeLocalBufferPool.Lease lease = staging.lease(remote.length())) {
            transfer(TransferRequest.read(lease.buffer(), lease.offset(), buffer, remote.offset(), remote.length()),
                    "read", peer, id);
            byte[] data = new byte[(int) remote.length()];
            lease.byteBuffer().get(data);
            this.store.put(id, data);
            return data;
        }
    }

    /** Writes block {@code id} of this store into a range {@code peer} reserved, then lets the peer commit it. */
    public BlockLocation push(String peer, String id) {
        BlockLocation local = this.store.location(id);
        if (local == null) {
            throw new NoSuchBlockException("no block '" + id + "' here");
        }
        BlockLocation remote = peerCall(peer, () -> this.http.post()
            .uri(base(peer) + "/blocks/{id}/reservations?length={length}", id, local.length())
            .retrieve()
            .body(BlockLocation.class));
        try {
            MooncakeGlobalSegment segment = this.store.segment();
            transfer(TransferRequest.write(segment.buffer(), local.offset(), remoteBuffer(remote), remote.offset(),
                    local.length()), "write", peer, id);
        } catch (RuntimeException ex) {
            peerCall(peer, () -> this.http.delete().uri(base(peer) + "/blocks/{id}/reservations", id).retrieve()
                .toBodilessEntity());
            throw ex;
        }
        peerCall(peer, () -> this.http.post().uri(base(peer) + "/blocks/{id}/commit", id).retrieve()
            .toBodilessEntity());
        return remote;
    }

    /** {@code http://host:port} of a peer named {@code host:port}; anything else is refused. */
    private static String base(String peer) {
        if (!PEER.matcher(peer).matches()) {
            throw new IllegalArgumentException("peer '" + peer + "' is not host:port, e.g. 127.0.0.1:8081");
        }
        return "http://" + peer;
    }

    private RemoteBuffer remoteBuffer(BlockLocation location) {
        SegmentHandle handle = this.engine.openSegment(location.segment());
        RemoteBuffer found = find(handle, location.segmentAddress());
        if (found == null) {
            // the peer restarted or registered memory since we opened it: forget the cached descriptor once
            this.engine.closeSegment(handle.id());
            found = find(this.engine.openSegment(location.segment()), location.segmentAddress());
        }
        if (found == null) {
            throw new PeerException("segment " + location.segment() + " publishes no buffer at address "
                    + location.segmentAddress());
        }
        return found;
    }

    private static RemoteBuffer find(SegmentHandle handle, long address) {
        return handle.buffers().stream().filter((b) -> b.address() == address).findFirst().orElse(null);
    }

    private void transfer(TransferRequest request, String op, String peer, String id) {
        if (request.length() == 0) {
            return;
        }
        Duration timeout = this.engine.config().transferTimeout();
        long start = System.nanoTime();
        BatchResult result = this.engine.submit(List.of(request)).await(timeout);
        if (!result.allCompleted()) {
            throw new PeerException("engine " + op + " of block '" + id + "' with " + peer + " ended "
                    + result.firstFailure());
        }
        log.debug("{} of block '{}' ({} bytes) with {} took {} us", op, id, request.length(), peer,
                (System.nanoTime() - start) / 1000);
    }

    private static <T> T peerCall(String peer, java.util.function.Supplier<T> call) {
        try {
            return call.get();
        } catch (NoSuchBlockException ex) {
            throw ex;
        } catch (RestClientException ex) {
            throw new PeerException("peer " + peer + " did not answer: " + ex.getMessage());
        }
    }

    /** A block that does not exist. */
    public static class NoSuchBlockException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        NoSuchBlockException(String message) {
            super(message);
        }
    }

    /** A peer or a transfer with it failed. */
    public static class PeerException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        PeerException(String message) {
            super(message);
        }
    }

}
