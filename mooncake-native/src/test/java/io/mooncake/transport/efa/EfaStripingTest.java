package io.mooncake.transport.efa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mooncake.engine.api.BatchResult;
import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.SegmentHandle;
import io.mooncake.engine.api.TransferRequest;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.testsupport.Engines;
import io.mooncake.jna.fabric.Fabric;
import io.mooncake.jna.fabric.JnaFabric;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Two devices per engine: {@code tcp;ofi_rxm} offers a domain per network interface, so
 * {@code lo} and a second interface stand in for two EFA devices. Both engines publish two devices
 * and a matrix preferring both; the slices of each request alternate between them, and every byte
 * arrives. Skipped, saying so, on a host whose only interface is {@code lo}.
 */
class EfaStripingTest {

    @Test
    void slicesAreStripedOverThePeersPreferredDevices() throws Exception {
        Fabric.Query q = JnaFabric.load().library().getInfo("tcp;ofi_rxm", true);
        String second = q.infos().stream().map(Fabric.Info::domain).filter(d -> !d.equals("lo")).findFirst()
                .orElse(null);
        assumeTrue(second != null, "tcp;ofi_rxm offers no domain besides lo on this host: " + q.infos());
        String devices = "lo," + second;
        try (MooncakeEngine one = start(devices); MooncakeEngine two = start(devices)) {
            assertThat(two.localDescriptor().devices()).hasSize(2);
            assertThat(two.localDescriptor().priorityMatrix().get("cpu:0").get(0)).containsExactly("lo", second);
            int n = 16 << 20;
            LocalBuffer src = one.allocateBuffer(n, "cpu:0");
            LocalBuffer dst = two.allocateBuffer(n, "cpu:0");
            ByteBuffer s = src.byteBuffer();
            for (int i = 0; i < n; i++) {
                s.put(i, (byte) (i * 13 + (i >>> 9)));
            }
            SegmentHandle peer = one.openSegment(two.localSegmentName());
            List<TransferRequest> reqs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                long o = (long) i * (n / 8);
                reqs.add(new TransferRequest(OpCode.WRITE, src.address() + o, peer.id(), dst.address() + o, n / 8));
            }
            BatchResult r = one.submit(reqs).await(Duration.ofSeconds(60));

            assertThat(r.allCompleted()).as(r.statuses().toString()).isTrue();
            assertThat(dst.byteBuffer()).isEqualTo(src.byteBuffer());
            assertThat(one.stats().counters("efa", OpCode.WRITE).bytes()).isEqualTo(n);
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> devs = (List<Map<String, Object>>) one.transportStats().get("efa").get("devices");
            assertThat(devs).hasSize(2).allSatisfy(d -> assertThat((Long) d.get("completed"))
                    .as("operations completed on %s", d.get("name")).isPositive());
        }
    }

    private static MooncakeEngine start(String devices) {
        return MooncakeEngine.start(Engines.loopback().environment(Map.of(EfaSettings.PROVIDER_ENV, "tcp;ofi_rxm"))
                .protocol("efa").deviceName(devices).build());
    }
}
