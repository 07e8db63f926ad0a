package io.mooncake.engine.transport.flaky;

import io.mooncake.engine.batch.TransferTask;
import io.mooncake.engine.metadata.RemoteTarget;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.stats.FailureKind;
import io.mooncake.engine.transport.Availability;
import io.mooncake.engine.transport.Reach;
import io.mooncake.engine.transport.Transport;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.engine.transport.TransportProvider;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test transport ({@code flaky}), added the way any transport is: this package and one services
 * line (in the engine's test resources only). It claims to reach every peer better than tcp and
 * loses every slice as a broken connection would, so the engine's fallback can be watched. It runs
 * only when requested ({@code protocol: flaky}).
 */
public final class FlakyTransportProvider implements TransportProvider {

    /** Slices this transport was given, across all instances. */
    public static final AtomicInteger SLICES = new AtomicInteger();

    @Override
    public String protocol() {
        return "flaky";
    }

    @Override
    public Availability availability(TransportContext context) {
        return Availability.ready("test transport that loses every slice", Map.of());
    }

    @Override
    public Transport create(TransportContext context) {
        return new Transport() {
            @Override
            public String protocol() {
                return "flaky";
            }

            @Override
            public void start() {
            }

            @Override
            public SegmentDescriptor describe(SegmentDescriptor base) {
                return base;
            }

            @Override
            public Reach reach(RemoteTarget target) {
                return Reach.of(Reach.FABRIC, "claims every peer");
            }

            @Override
            public int sliceSize(RemoteTarget target) {
                return 64 * 1024;
            }

            @Override
            public void submit(TransferTask task) {
                for (int k = 0; k < task.sliceCount(); k++) {
                    SLICES.incrementAndGet();
                    task.sliceFailed(FailureKind.CONNECTION, "flaky lost the slice");
                }
            }

            @Override
            public void close() {
            }
        };
    }
}
