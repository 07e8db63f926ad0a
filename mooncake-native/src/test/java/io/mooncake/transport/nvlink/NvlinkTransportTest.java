package io.mooncake.transport.nvlink;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.jna.ptr.IntByReference;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.metadata.RemoteTarget;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.transport.HostIdentity;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.jna.cuda.Cuda;
import io.mooncake.jna.cuda.CudaAbi;
import io.mooncake.jna.cuda.FakeCudaDriver;
import io.mooncake.probe.ProbeKind;
import io.mooncake.probe.ProbeResult;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * The nvlink transport's decisions over {@link FakeCudaDriver}, a TEST DOUBLE standing for the
 * driver and GPU absent on this machine: which handles it uses and what it names as missing for
 * multi-node NVLink, the shm_name forms, and which peers it reaches. The VMM data path (export,
 * import, map, copy) runs against the real driver in {@code NvlinkContractTests} on a GPU machine.
 */
class NvlinkTransportTest {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private final FakeCudaDriver driver = new FakeCudaDriver(1);
    private final Cuda cuda = new Cuda(driver);
    private NvlinkTransport transport;

    @AfterEach
    void close() {
        if (transport != null) {
            transport.close();
        }
    }

    private static ProbeResult noFabric() {
        return ProbeResult.missing(ProbeKind.MNNVL, io.mooncake.engine.transport.Availability.Cause.NO_DEVICE,
                "no GPU belongs to a multi-node NVLink fabric (cuda:0 fabric state N/A)", "", Map.of());
    }

    @Test
    void withoutFabricHandlesItUsesFileDescriptorsAndNamesWhatIsMissing() {
        NvlinkTransportProvider.Mode m = NvlinkTransportProvider.mode(cuda, 1, noFabric(), false);
        assertThat(m.kind()).isEqualTo(VmmHandle.Kind.POSIX_FD);
        assertThat(m.missing()).contains("cuda:0 does not support fabric handles");

        Cuda fabricCapable = new Cuda(new FakeCudaDriver(1) {
            @Override
            public int cuDeviceGetAttribute(IntByReference value, int attribute, int device) {
                value.setValue(1);
                return 0;
            }
        });
        NvlinkTransportProvider.Mode f = NvlinkTransportProvider.mode(fabricCapable, 1, noFabric(), false);
        assertThat(f.kind()).isEqualTo(VmmHandle.Kind.POSIX_FD);
        assertThat(f.missing()).contains("no multi-node NVLink fabric").contains("fabric state N/A");
        assertThat(NvlinkTransportProvider.mode(fabricCapable, 1, noFabric(), true).kind())
                .as("MC_FORCE_MNNVL").isEqualTo(VmmHandle.Kind.FABRIC);
    }

    @Test
    void handlesAreSixtyFourBytesOfUppercaseHexAndTheFdFormRoundTrips() {
        VmmHandle fd = VmmHandle.posixFd(4242, 17, 2L << 20);
        String hex = fd.hex();
        assertThat(hex).hasSize(128).matches("[0-9A-F]+").startsWith("4D434A504F534644"); // MCJPOSFD
        assertThat(VmmHandle.parse(hex)).isEqualTo(fd);
        byte[] fabric = new byte[CudaAbi.FABRIC_HANDLE_BYTES];
        fabric[0] = 7;
        fabric[63] = (byte) 0xAB;
        VmmHandle f = VmmHandle.parse(Cuda.toHex(fabric));
        assertThat(f.kind()).isEqualTo(VmmHandle.Kind.FABRIC);
        assertThat(f.bytes()).isEqualTo(fabric);
    }

    @Test
    void aRefusedDescriptorNamesTheCauseAndTheFix() {
        VmmHandle h = VmmHandle.posixFd(99, 5, 1 << 21);
        assertThat(VmmImports.takeFailure(h, 1)).contains("EPERM").contains("ptrace_scope=0").contains("CAP_SYS_PTRACE");
        assertThat(VmmImports.takeFailure(h, 3)).contains("another PID namespace");
        assertThat(VmmImports.takeFailure(h, 38)).contains("Linux 5.6");
    }

    @Test
    void fileDescriptorModeReachesThisHostOnlyAndNamesTheMissingFabric() {
        transport = new NvlinkTransport(TransportContext.standalone(EngineConfig.builder().build(), "me:1",
                "127.0.0.1"), cuda, 1, VmmHandle.Kind.POSIX_FD, "cuda:0 does not support fabric handles", 1,
                (pid, fd) -> fd);
        assertThat(transport.reach(peer(HostIdentity.bootId(), "posix_fd", "nvlink")).reachable()).isTrue();
        assertThat(transport.reach(peer("other-host", "posix_fd", "nvlink")).reason()).contains("its own host only");
        assertThat(transport.reach(peer("other-host", "fabric", "nvlink")).reason())
                .contains("this node has none: cuda:0 does not support fabric handles");
        assertThat(transport.reach(peer(null, null, "nvlink")).reason()).as("a reference nvlink node")
                .contains("fabric");
        assertThat(transport.stats()).containsEntry("handles", "posix_fd");
    }

    private static RemoteTarget peer(String bootId, String handles, String protocol) {
        Map<String, JsonNode> extra = new HashMap<>();
        extra.put("java_process", JSON.stringNode("another-jvm/1"));
        if (bootId != null) {
            extra.put("nvlink_boot_id", JSON.stringNode(bootId));
        }
        if (handles != null) {
            extra.put("nvlink_handle_type", JSON.stringNode(handles));
        }
        return new RemoteTarget(3, "peer:1", new SegmentDescriptor("peer:1", protocol, 0, 2, "", List.of(), List.of(),
                Map.of(), extra), "127.0.0.1");
    }
}
