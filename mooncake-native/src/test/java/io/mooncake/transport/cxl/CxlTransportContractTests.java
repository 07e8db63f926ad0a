package io.mooncake.transport.cxl;

import static org.awaitility.Awaitility.await;

import io.mooncake.engine.api.RemoteBuffer;
import io.mooncake.engine.api.TransferRequest;
import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.transport.contract.ChildJvmPeer;
import io.mooncake.engine.transport.contract.Peer;
import io.mooncake.engine.transport.contract.TransportContractTests;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The transport contract over a CXL device shared by two processes: the "device" is a 1 GiB file
 * on /dev/shm (tmpfs), which both engines map shared, exactly as they would map /dev/daxX.Y. The
 * target is another JVM running protocol cxl on the same file; its buffer comes from the device;
 * the initiator runs cxl too (tcp beside it), so requests go over cxl. The data path never involves
 * the peer's threads: a stopped peer does not stall it and a killed peer's device memory stays
 * writable, so those tests say so through the hooks.
 */
class CxlTransportContractTests extends TransportContractTests {

    static final Path DEVICE = Path.of("/dev/shm/mooncake-cxl-contract-test.dev");
    static final long DEVICE_BYTES = 1L << 30;

    static Map<String, String> env() {
        return Map.of("MC_CXL_DEV_PATH", DEVICE.toString(), "MC_CXL_DEV_SIZE", Long.toString(DEVICE_BYTES));
    }

    /** The child's settings: cxl on the shared device file. */
    public static final class OnDevice implements UnaryOperator<EngineConfig.Builder> {
        @Override
        public EngineConfig.Builder apply(EngineConfig.Builder b) {
            return b.environment(env());
        }
    }

    private boolean created;

    private void createDevice() {
        if (created) {
            return;
        }
        try {
            Files.deleteIfExists(DEVICE);
            try (RandomAccessFile f = new RandomAccessFile(DEVICE.toFile(), "rw")) {
                f.setLength(DEVICE_BYTES); // sparse: pages are used only where buffers are carved
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the test's CXL device file " + DEVICE, e);
        }
        created = true;
    }

    @AfterAll
    void removeDevice() throws IOException {
        Files.deleteIfExists(DEVICE); // mappings outlive the name
    }

    @Override
    protected String protocolUnderTest() {
        return "cxl";
    }

    @Override
    protected Peer startPeer(long bufferBytes) {
        return ChildJvmPeer.start(bufferBytes, "cxl", OnDevice.class);
    }

    @Override
    protected boolean stoppedPeerStallsTransfers() {
        return false;
    }

    @Override
    protected boolean killFailsRequestsInFlight() {
        return false;
    }

    @Test
    void copiesIntoTheRangesOfAPeerWhoseProcessDiedStop() {
        try (Peer doomed = startPeer(4L << 20)) {
            RemoteBuffer target = initiator.openSegment(doomed.segmentName()).buffer(0);
            assertAllCompleted(runToEnd(initiator, List.of(TransferRequest.write(local, 0, target, 0,
                    4096))));

            doomed.kill(); // its device ranges are free for other engines now

            // the owner is checked at most every 50 ms: within the bound, writes to its ranges stop landing
            await().atMost(END_BOUND).until(() -> runToEnd(initiator, List.of(TransferRequest.write(local, 0, target,
                    0, 4096))).statuses().get(0).state() == TransferState.FAILED);
        }
    }

    @Override
    protected EngineConfig.Builder configureInitiator(EngineConfig.Builder base) {
        createDevice(); // here, not in a static initialiser: the child JVM loads this class too (env())
        return base.environment(env()).disabledTransports("local");
    }
}
