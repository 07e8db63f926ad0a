package io.mooncake.transport.efa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.SegmentHandle;
import io.mooncake.engine.api.TransferRequest;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.testsupport.Engines;
import io.mooncake.engine.transport.Availability;
import io.mooncake.testing.Hosts;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The efa transport on real EFA hardware with libfabric's efa provider: two engines write and read
 * 4 MiB over it. Skipped, saying why, where no EFA device is usable (everywhere but an EFA-enabled
 * EC2 instance); {@code -Dmooncake.test.requireEfa=true} makes the skip a failure there.
 */
class EfaHardwareTest {

    @Test
    void twoEnginesMoveDataOverRealEfa() throws Exception {
        Availability a = new EfaTransportProvider().availability(Hosts.transportContext(
                Engines.loopback().protocol("efa").build()));
        if (Boolean.getBoolean("mooncake.test.requireEfa")) {
            assertThat(a.available()).as("mooncake.test.requireEfa is set: %s", a.describe()).isTrue();
        }
        assumeTrue(a.available(), () -> "no usable EFA device with the efa provider: " + a.describe());

        try (MooncakeEngine one = MooncakeEngine.start(Engines.loopback().protocol("efa").build());
                MooncakeEngine two = MooncakeEngine.start(Engines.loopback().protocol("efa").build())) {
            int n = 4 << 20;
            LocalBuffer src = one.allocateBuffer(n, "cpu:0");
            LocalBuffer dst = two.allocateBuffer(n, "cpu:0");
            ByteBuffer s = src.byteBuffer();
            for (int i = 0; i < n; i++) {
                s.put(i, (byte) (i * 7 + 1));
            }
            SegmentHandle peer = one.openSegment(two.localSegmentName());
            assertThat(one.submit(List.of(new TransferRequest(OpCode.WRITE, src.address(), peer.id(), dst.address(),
                    n))).await(Duration.ofSeconds(30)).allCompleted()).isTrue();
            assertThat(dst.byteBuffer()).isEqualTo(src.byteBuffer());
            assertThat(one.stats().counters("efa", OpCode.WRITE).bytes()).isEqualTo(n);
        }
    }
}
