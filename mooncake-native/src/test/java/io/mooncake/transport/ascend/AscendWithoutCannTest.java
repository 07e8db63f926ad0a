package io.mooncake.transport.ascend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.mooncake.engine.api.TransportUnavailableException;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.transport.Availability;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.NativeLoading;
import io.mooncake.jna.acl.LibHccl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The real path on this machine: no Ascend NPU and no CANN toolkit. The provider must name both
 * (the missing NPU and the libraries that cannot be loaded) and the fix, and refuse to create the
 * transport. Skips where an Ascend driver is installed.
 */
class AscendWithoutCannTest {

    private static TransportContext context() {
        return TransportContext.standalone(EngineConfig.builder().protocol("ascend").build(), "127.0.0.1:1",
                "127.0.0.1");
    }

    @Test
    void providerNamesTheMissingNpuAndTheMissingCannLibrariesWithTheFix() {
        assumeThat(Files.exists(Path.of("/dev/davinci_manager"))).as("this host has an Ascend driver").isFalse();

        Availability a = new AscendTransportProvider().availability(context());

        assertThat(a.available()).isFalse();
        assertThat(a.cause()).isEqualTo(Availability.Cause.NO_DEVICE);
        assertThat(a.reason()).startsWith("no Ascend NPU: no /dev/davinci<N>").contains(
                "; CANN is not installed either: AscendCL (").contains("libascendcl.so) cannot be loaded: ")
                .contains("; HCCL (").contains("libhccl.so) cannot be loaded: ");
        assertThat(a.fix()).contains("install the Ascend NPU driver").contains(
                "then install the CANN toolkit with HCCL and source its set_env.sh").endsWith("set mooncake.protocol=tcp");
        assertThatThrownBy(() -> new AscendTransportProvider().create(context()))
                .isInstanceOf(TransportUnavailableException.class).hasMessageContaining("libhccl.so");
    }

    @Test
    void hcclBindingLoadsAsAFailureNamingTheLibrary() {
        Loaded<LibHccl> l = NativeLoading.load(LibHccl.class, List.of("/usr/local/Ascend/ascend-toolkit/latest/lib64/"
                + "libhccl.so", "libhccl.so"), h -> h);
        assumeThat(l.isLoaded()).as("HCCL is installed here").isFalse();
        assertThat(l.name()).endsWith("libhccl.so");
        assertThat(l.failure()).contains("libhccl.so");
    }
}
