package io.mooncake.transport.nvmeof;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.metadata.MetadataConnection;
import io.mooncake.engine.metadata.MetadataKeys;
import io.mooncake.engine.metadata.MetadataStore;
import io.mooncake.engine.metadata.http.HttpMetadataServer;
import io.mooncake.engine.metadata.kv.SegmentDirectories;
import io.mooncake.engine.transport.contract.Peer;
import io.mooncake.engine.transport.contract.TransportContractTests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;

/**
 * The transport contract over a file segment: the target is a {@link FileSegmentPeer}, a file on
 * the build machine's disk (ext4 under {@code java.io.tmpdir}: direct I/O, so the suite's odd
 * offsets and sizes go through the aligned bounce path) whose descriptor sits under
 * {@code mooncake/nvmeof/<name>} on an HTTP metadata server started here; the initiator runs
 * {@code tcp,nvmeof} (nvmeof cannot be primary: an engine never publishes a file segment).
 *
 * <p>What cannot apply to a file target, said through the suite's hooks: a file has no threads, so
 * it cannot "stop answering" (the hung-peer tests skip, saying so); "killing" it removes the file
 * and its descriptor, and files the initiator already opened stay readable and writable (Linux
 * keeps an unlinked inode alive while it is open), so requests in flight complete instead of
 * failing.
 *
 * <p>Each initiator needs its own segment name (a metadata server refuses a second live node
 * under one name) and the file segment must list that name in {@code local_path_map}: initiators
 * take the first of {@link #NODES} (loopback addresses every peer's map lists) that no live engine holds.
 */
class NvmeofTransportContractTests extends TransportContractTests {

    /** Initiator names (loopback addresses, Linux answers the whole 127/8); at most two live at once. */
    static final List<String> NODES = List.of("127.0.0.61", "127.0.0.62", "127.0.0.63", "127.0.0.64");

    private final AtomicInteger nextPeer = new AtomicInteger();
    private HttpMetadataServer server;
    private Path dir;

    private synchronized HttpMetadataServer server() {
        if (server == null) {
            try {
                server = HttpMetadataServer.builder().host("127.0.0.1").port(0).start();
                dir = Files.createTempDirectory("mooncake-nvmeof-contract-");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the test's metadata server", e);
            }
        }
        return server;
    }

    @AfterAll
    void stopServer() throws IOException {
        if (server != null) {
            server.close();
        }
        if (dir != null) {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    /** The first name of {@link #NODES} no live engine holds (engines withdraw their rpc_meta on close). */
    private String freeNode() {
        String url = server().url();
        try (MetadataStore store = SegmentDirectories.openStore(MetadataConnection.parse(url),
                EngineConfig.builder().metadataServer(url).build(),
                SegmentDirectories.providers(getClass().getClassLoader()))) {
            for (String node : NODES) {
                if (store.get(MetadataKeys.forCluster(null).rpcMeta(node)).isEmpty()) {
                    return node;
                }
            }
        }
        throw new IllegalStateException("every test node name " + NODES + " is held by a live engine");
    }

    @Override
    protected String protocolUnderTest() {
        return "nvmeof";
    }

    @Override
    protected Peer startPeer(long bufferBytes) {
        String url = server().url();
        String name = "contract-" + ProcessHandle.current().pid() + "-" + nextPeer.incrementAndGet();
        return FileSegmentPeer.start(url, name, dir.resolve(name + ".img"), bufferBytes, NODES);
    }

    @Override
    protected boolean stoppedPeerStallsTransfers() {
        return false; // a file has no threads to stop
    }

    @Override
    protected boolean killFailsRequestsInFlight() {
        return false; // removing an open file leaves the initiator's descriptors working
    }

    @Override
    protected EngineConfig.Builder configureInitiator(EngineConfig.Builder base) {
        return base.metadataServer(server().url()).localHostname(freeNode()).protocol("tcp,nvmeof")
                .disabledTransports("local");
    }
}
