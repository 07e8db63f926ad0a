package io.mooncake.probe;

import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.jna.nvml.Nvml;
import io.mooncake.testing.FakeAccess;
import io.mooncake.testing.FakeHost;
import io.mooncake.testing.FakeLibraries;
import io.mooncake.transport.NativeTransports;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProbeCommandTest {

    @TempDir
    Path root;

    FakeLibraries libs = new FakeLibraries().libibverbs("mlx5_0", "mlx5_1")
            .nvml(new Nvml.Snapshot(0, null, "580.65.06", List.of()));
    FakeAccess access = new FakeAccess();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void host() {
        FakeHost host = new FakeHost(root).numaNodes(2);
        host.mlx5("mlx5_0", "pci0000:00/0000:00:01.0/0000:01:00.0", 0, 0).add();
        host.mlx5("mlx5_1", "pci0000:80/0000:80:01.0/0000:81:00.0", 1, 1).roce().add();
    }

    int run(String... args) {
        return new ProbeCommand(libs, access, NativeTransports.providers(libs, access)).run(args, Map.of(),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void printsDevicesLikeIbvDevicesAndIbvDevinfo() {
        assertThat(run("--sysfs_root", root.toString(), "--protocol", "rdma")).isZero();

        assertThat(out()).contains("    device          \t    node GUID\n")
                .contains("    mlx5_0          \tb8599f0300fa0000\n")
                .contains("hca_id:\tmlx5_1\n\ttransport:\t\t\tRoCE\n")
                .contains("\t\t\tstate:\t\t\tPORT_ACTIVE (4)\n")
                .contains("\t\t\tlink_layer:\t\tEthernet\n")
                .contains("GID[0]:\t\t0000:0000:0000:0000:0000:ffff:c000:0201, RoCE v2");
    }

    @Test
    void printsProbesTopologyAndTheChosenTransportWithTheReason() {
        run("--sysfs_root=" + root, "--protocol=rdma", "--device_name=mlx5_1");

        assertThat(out()).contains("  rdma    available         2 usable RDMA HCA(s)")
                .contains("  cuda    NO_DEVICE         no NVIDIA GPU")
                .contains("{\"cpu:0\":[[],[\"mlx5_1\"]],\"cpu:1\":[[\"mlx5_1\"],[]]}")
                .contains("  rdma         ACTIVE")
                .contains("1 usable HCA(s), best first: [mlx5_1]")
                .contains("  chosen: rdma (running: rdma, tcp");
    }

    @Test
    void withoutFallbackTheCommandExitsOneAndSaysWhy() {
        assertThat(run("--sysfs_root", root.toString(), "--protocol", "efa", "--no_fallback")).isEqualTo(1);

        assertThat(out()).contains("  refused: protocol 'efa' unavailable");
    }

    @Test
    void badArgumentsExitTwoNamingTheProblem() {
        assertThat(run("--protocol", "rdmx")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown protocol 'rdmx'").contains("usage:");
        assertThat(run("--frobnicate")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown option '--frobnicate'");
        assertThat(run("--sysfs_root", root.resolve("absent").toString())).isEqualTo(2);
    }
}
