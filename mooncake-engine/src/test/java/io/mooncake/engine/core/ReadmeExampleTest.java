package io.mooncake.engine.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.api.Batch;
import io.mooncake.engine.api.BatchResult;
import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.SegmentHandle;
import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.api.TransferRequest;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's plain-Java example, as written there, against a real peer. */
class ReadmeExampleTest {

    @Test
    void readmeExampleMovesData() {
        try (MooncakeEngine peerEngine = MooncakeEngine.initialize("127.0.0.1", "P2PHANDSHAKE", "tcp", "")) {
            peerEngine.allocateBuffer(2 << 20, "cpu:0");
            String peerName = peerEngine.localSegmentName();

            // --- README: "Use the engine from plain Java" (peer name substituted)
            try (MooncakeEngine engine = MooncakeEngine.initialize("127.0.0.1", "P2PHANDSHAKE", "tcp", "")) {
                LocalBuffer local = engine.allocateBuffer(64 << 20, "cpu:0");
                SegmentHandle peer = engine.openSegment(peerName);
                Batch batch = engine.submit(List.of(
                        TransferRequest.write(local, 0, peer.buffer(0), 0, 1 << 20),
                        TransferRequest.read(local, 1 << 20, peer.buffer(0), 4096, 4096)));
                BatchResult result = batch.completion().join();
                // ---
                assertThat(result.allCompleted()).isTrue();
            }
        }
    }
}
