package io.mooncake.engine.core.discovery;

import io.mooncake.engine.core.MooncakeEngine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.SegmentHandle;
import io.mooncake.engine.api.SegmentNotFoundException;
import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.metadata.support.LocalEtcd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Engines over a real etcd, including an etcd restart in the middle. */
class EtcdEngineDiscoveryTests extends EngineDiscoveryContractTests {

    @RegisterExtension
    static final LocalEtcd etcd = new LocalEtcd();

    @Override
    protected String connectionString() {
        return etcd.connectionString();
    }

    @Test
    void restartingEtcdKeepsEstablishedTransfersWorkingAndNewOpensRecover() {
        MooncakeEngine a = engine("node-a-" + run);
        MooncakeEngine b = engine("node-b-" + run);
        LocalBuffer la = a.allocateBuffer(1 << 16, "cpu:0");
        b.allocateBuffer(1 << 16, "cpu:0");
        SegmentHandle toB = a.openSegment("node-b-" + run);

        etcd.stop();
        try {
            a.transferSyncWrite("node-b-" + run, la.address(), toB.buffer(0).address(), 4096);
            assertThatThrownBy(() -> a.openSegment("node-x-" + run)).isInstanceOf(SegmentNotFoundException.class)
                    .hasMessageContaining("node-x-" + run);
            assertThat(a.metadataReachable()).isFalse();
        } finally {
            etcd.start();
        }
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).untilAsserted(() -> {
            MooncakeEngine late = engine("node-late-" + run + "-" + System.nanoTime());
            assertThat(a.openSegment(late.localSegmentName()).name()).isEqualTo(late.localSegmentName());
        });
        a.transferSyncWrite("node-b-" + run, la.address(), toB.buffer(0).address(), 4096);
        assertThat(a.metadataReachable()).isTrue();
    }
}
