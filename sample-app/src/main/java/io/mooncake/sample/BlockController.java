package io.mooncake.sample;

import io.mooncake.engine.api.MooncakeException;
import java.util.List;
import org.springframework.context.annotation.Profile;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The block store's HTTP API. */
@RestController
@Profile("!no-mooncake")
public class BlockController {

    private final BlockStore store;

    private final PeerTransfers peers;

    public BlockController(BlockStore store, PeerTransfers peers) {
        this.store = store;
        this.peers = peers;
    }

    /** Stores the request body as block {@code id} in this instance's global segment. */
    @PutMapping(path = "/blocks/{id}", consumes = MediaType.ALL_VALUE)
    ResponseEntity<BlockLocation> put(@PathVariable String id, @RequestBody(required = false) byte[] data,
            @org.springframework.web.bind.annotation.RequestHeader(name = "Content-Type", required = false)
            String contentType) {
        if (contentType != null && (contentType.startsWith(MediaType.APPLICATION_FORM_URLENCODED_VALUE)
                || contentType.startsWith("multipart/"))) {
            // a form body is parsed into parameters by the servlet stack: the block would be stored empty
            throw new FormBodyException(contentType);
        }
        return ResponseEntity.status(HttpStatus.CREATED).body(this.store.put(id, (data != null) ? data : new byte[0]));
    }

    /** The bytes of block {@code id}. */
    @GetMapping(path = "/blocks/{id}", produces = MediaType.APPLICATION_OCTET_STREAM_VALUE)
    ResponseEntity<byte[]> get(@PathVariable String id) {
        byte[] data = this.store.get(id);
        return (data != null) ? ResponseEntity.ok(data) : ResponseEntity.notFound().build();
    }

    /** The block directory: every block with its location. */
    @GetMapping("/blocks")
    List<BlockLocation> directory() {
        return this.store.directory();
    }

    /** Where block {@code id} lives, for peers that pull it. */
    @GetMapping("/blocks/{id}/location")
    ResponseEntity<BlockLocation> location(@PathVariable String id) {
        BlockLocation location = this.store.location(id);
        return (location != null) ? ResponseEntity.ok(location) : ResponseEntity.notFound().build();
    }

    /** Reserves room for block {@code id} that a peer will push. */
    @PostMapping("/blocks/{id}/reservations")
    BlockLocation reserve(@PathVariable String id, @RequestParam long length) {
        return this.store.reserve(id, length);
    }

    /** Drops a reservation after a failed push. */
    @DeleteMapping("/blocks/{id}/reservations")
    ResponseEntity<Void> cancel(@PathVariable String id) {
        this.store.cancel(id);
        return ResponseEntity.noContent().build();
    }

    /** Makes a pushed block visible. */
    @PostMapping("/blocks/{id}/commit")
    ResponseEntity<Void> commit(@PathVariable String id) {
        return this.store.commit(id) ? ResponseEntity.noContent().build() : ResponseEntity.notFound().build();
    }

    /** Pulls block {@code id} from {@code peer} (its HTTP host:port) through the engine, stores and returns it. */
    @GetMapping(path = "/peers/{peer}/blocks/{id}", produces = MediaType.APPLICATION_OCTET_STREAM_VALUE)
    byte[] pull(@PathVariable String peer, @PathVariable String id) {
        return this.peers.pull(peer, id);
    }

    /** Pushes block {@code id} of this instance to {@code peer} through the engine. */
    @PostMapping("/peers/{peer}/blocks/{id}")
    ResponseEntity<BlockLocation> push(@PathVariable String peer, @PathVariable String id) {
        return ResponseEntity.status(HttpStatus.CREATED).body(this.peers.push(peer, id));
    }

    // Every error is an RFC 9457 problem: a title, a status, a detail that says what went wrong and
    // what to do (spring.mvc.problemdetails.enabled does the same for Spring's own errors).

    @ExceptionHandler(PeerTransfers.NoSuchBlockException.class)
    ProblemDetail noSuchBlock(PeerTransfers.NoSuchBlockException ex) {
        return problem(HttpStatus.NOT_FOUND, "No such block", ex.getMessage() + "; GET /blocks lists the blocks");
    }

    @ExceptionHandler(IllegalArgumentException.class)
    ProblemDetail badRequest(IllegalArgumentException ex) {
        return problem(HttpStatus.BAD_REQUEST, "Bad request", ex.getMessage());
    }

    @ExceptionHandler(FormBodyException.class)
    ProblemDetail formBody(FormBodyException ex) {
        return problem(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "Block body must be raw bytes", ex.getMessage());
    }

    @ExceptionHandler(BlockStore.StoreFullException.class)
    ProblemDetail storeFull(BlockStore.StoreFullException ex) {
        return problem(HttpStatus.INSUFFICIENT_STORAGE, "Store full", ex.getMessage()
                + "; delete blocks or raise mooncake.global-segment-size");
    }

    @ExceptionHandler(PeerTransfers.StagingBusyException.class)
    ResponseEntity<ProblemDetail> stagingBusy(PeerTransfers.StagingBusyException ex) {
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).header("Retry-After", "1")
            .body(problem(HttpStatus.SERVICE_UNAVAILABLE, "Staging pool busy", ex.getMessage()));
    }

    @ExceptionHandler({ PeerTransfers.PeerException.class, MooncakeException.class })
    ProblemDetail peerFailed(RuntimeException ex) {
        return problem(HttpStatus.BAD_GATEWAY, "Peer transfer failed", ex.getMessage());
    }

    private static ProblemDetail problem(HttpStatus status, String title, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setTitle(title);
        return problem;
    }

    /** A PUT whose body was sent as a form (curl's default for --data). */
    static class FormBodyException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        FormBodyException(String contentType) {
            super("the body was sent as " + contentType + ", which is parsed as a form, so the block would be "
                    + "stored empty; send the bytes as application/octet-stream, e.g. curl -X PUT --data-binary @file "
                    + "-H 'Content-Type: application/octet-stream' ...");
        }
    }
}
