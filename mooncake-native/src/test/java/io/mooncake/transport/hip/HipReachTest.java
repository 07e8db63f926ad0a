package io.mooncake.transport.hip;

import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.device.hip.HipRuntime;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.metadata.BufferDescriptor;
import io.mooncake.engine.metadata.RemoteTarget;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.transport.HostIdentity;
import io.mooncake.engine.transport.Reach;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.testing.HipTestDouble;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * Which peers the {@code hip} transport reaches and which buffers it refuses, decided from
 * descriptors alone (over the HIP TEST DOUBLE, standing for AMD GPUs: no copy is made here), and
 * {@code MC_HIP_NUM_STREAMS} as the reference reads it.
 */
class HipReachTest {

    private static final String HANDLE = "0A".repeat(64);

    private final HipTestDouble.Gpus gpus = new HipTestDouble.Gpus(1);
    private final HipTransport hip = new HipTransport(TransportContext.standalone(EngineConfig.builder().build(),
            "127.0.0.1:1", "127.0.0.1"), "hip", HipRuntime.of(gpus.process()), 1);

    @AfterEach
    void close() {
        hip.close();
        gpus.close();
    }

    private static RemoteTarget target(String host, String shmName, String bootId) {
        Map<String, JsonNode> extra = bootId == null ? Map.of()
                : Map.of(HipTransport.BOOT_ID, JsonNodeFactory.instance.stringNode(bootId));
        SegmentDescriptor d = new SegmentDescriptor(host + ":15000", "hip", 0, 1, null,
                List.of(new BufferDescriptor("hip:0", 0x7f0000000000L, 1 << 20, List.of(), List.of(), shmName, null,
                        Map.of())), List.of(), Map.of(), extra);
        return new RemoteTarget(5, host + ":15000", d, host);
    }

    @Test
    void aPeerOnThisHostWithHandlesIsReachedAsSameHost() {
        Reach r = hip.reach(target("127.0.0.1", HANDLE, HostIdentity.bootId()));
        assertThat(r.score()).isEqualTo(Reach.SAME_HOST);
        assertThat(hip.reach(target("127.0.0.1", HANDLE.toLowerCase(), null)).score())
                .as("a reference node publishes no boot id: its address decides").isEqualTo(Reach.SAME_HOST);
    }

    @Test
    void peersOnOtherHostsOrWithoutHandlesAreNotReached() {
        assertThat(hip.reach(target("127.0.0.1", HANDLE, "another-boot")).reason())
                .startsWith("peer is on another host (boot id another-boot)");
        assertThat(hip.reach(target("192.0.2.77", HANDLE, null)).reason())
                .startsWith("peer 192.0.2.77 is not an address of this host");
        assertThat(hip.reach(target("127.0.0.1", null, null)).reason())
                .isEqualTo("peer publishes no HIP IPC handle (no buffer with a 64-byte shm_name)");
        assertThat(hip.reach(target("127.0.0.1", "AB".repeat(80), null)).score()).isZero();
    }

    @Test
    void handleFormsAreCheckedAndNamed() {
        assertThat(HipHandles.isIpcHandle(HANDLE)).isTrue();
        assertThat(HipHandles.encode(HipHandles.decode(HANDLE.toLowerCase()))).isEqualTo(HANDLE);
        assertThat(HipHandles.describe(null)).startsWith("the buffer publishes no shm_name");
        assertThat(HipHandles.describe("AB".repeat(80))).startsWith("shm_name holds 80 bytes, not a 64-byte "
                + "hipIpcMemHandle_t: the peer exports another kind of handle (a fabric handle with MC_USE_HIP_IPC=0");
        assertThat(HipHandles.describe("/mooncake-shm-1")).isEqualTo("shm_name '/mooncake-shm-1' is not hexadecimal");
    }

    @Test
    void streamsComeFromMcHipNumStreamsAsTheReferenceReadsIt() {
        assertThat(HipTransportProvider.streams(Map.of())).isEqualTo(4);
        assertThat(HipTransportProvider.streams(Map.of("MC_HIP_NUM_STREAMS", "8"))).isEqualTo(8);
        assertThat(HipTransportProvider.streams(Map.of("MC_HIP_NUM_STREAMS", "500"))).isEqualTo(64);
        assertThat(HipTransportProvider.streams(Map.of("MC_HIP_NUM_STREAMS", "0"))).isEqualTo(4);
        assertThat(HipTransportProvider.streams(Map.of("MC_HIP_NUM_STREAMS", "many"))).isEqualTo(4);
    }
}
