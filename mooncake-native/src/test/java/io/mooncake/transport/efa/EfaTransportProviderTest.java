package io.mooncake.transport.efa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.api.InvalidConfigurationException;
import io.mooncake.engine.api.TransportUnavailableException;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.transport.Availability;
import io.mooncake.engine.transport.Availability.Cause;
import io.mooncake.engine.transport.Transport;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.testing.Hosts;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Provider choice and the efa knobs, over the real libfabric (CI installs libfabric1) on a host
 * without EFA: the default efa provider falls back with its reason; {@code MC_EFA_PROVIDER}
 * selects another provider, whose domains become the devices; {@code MC_MAX_WR},
 * {@code MC_EFA_CQ_THREADS} and {@code MC_EFA_NIC_SELECTION} take effect and show in the stats.
 */
class EfaTransportProviderTest {

    @TempDir
    Path root;

    EngineConfig config(String device, Map<String, String> env) {
        return Hosts.config(root, "efa", device, env);
    }

    Availability availability(String device, Map<String, String> env) {
        return new EfaTransportProvider().availability(Hosts.transportContext(config(device, env)));
    }

    @Test
    void withoutEfaHardwareTheDefaultProviderIsUnavailableNamingTheOverride() {
        Availability a = availability("", Map.of());

        assertThat(a.available()).isFalse();
        assertThat(a.cause()).isEqualTo(Cause.NO_DEVICE);
        assertThat(a.fix()).contains("MC_EFA_PROVIDER").contains("tcp;ofi_rxm").endsWith("set mooncake.protocol=tcp");
        assertThatThrownBy(() -> new EfaTransportProvider().create(Hosts.transportContext(config("", Map.of()))))
                .isInstanceOf(TransportUnavailableException.class)
                .hasMessageStartingWith("protocol 'efa' unavailable: no EFA device");
    }

    @Test
    void anOverriddenProviderRunsOnItsDomains() {
        Availability a = availability("lo", Map.of("MC_EFA_PROVIDER", "tcp;ofi_rxm"));

        assertThat(a.available()).as(a.describe()).isTrue();
        assertThat(a.reason()).isEqualTo("libfabric provider 'tcp;ofi_rxm' with device(s) [lo]");
        assertThat(a.details()).containsEntry("libfabric provider",
                "tcp;ofi_rxm (from environment variable MC_EFA_PROVIDER)").containsKey("domains");
    }

    @Test
    void anOverriddenProviderWithoutTheNamedDomainNamesWhatItOffers() {
        Availability a = availability("nosuchif0", Map.of("MC_EFA_PROVIDER", "tcp;ofi_rxm"));

        assertThat(a.cause()).isEqualTo(Cause.NO_DEVICE);
        assertThat(a.reason()).startsWith("libfabric provider 'tcp;ofi_rxm' has no domain [nosuchif0]; it offers [")
                .contains("lo");
    }

    @Test
    void anUnknownProviderIsRefusedWithTheFiInfoCommandToCheck() {
        Availability a = availability("", Map.of("MC_EFA_PROVIDER", "nosuchprov"));

        assertThat(a.cause()).isEqualTo(Cause.NO_LIBRARY);
        assertThat(a.reason()).contains("offers no RDM endpoint for provider 'nosuchprov'");
        assertThat(a.fix()).contains("fi_info -p 'nosuchprov' -t FI_EP_RDM");
    }

    @Test
    void badKnobsAreRejectedNamingTheVariable() {
        assertThatThrownBy(() -> EfaSettings.of(config("", Map.of("MC_EFA_CQ_THREADS", "many"))))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("MC_EFA_CQ_THREADS")
                .hasMessageContaining("'many'");
        assertThatThrownBy(() -> EfaSettings.of(config("", Map.of("MC_EFA_NIC_SELECTION", "nearest"))))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("MC_EFA_NIC_SELECTION");
        assertThatThrownBy(() -> EfaSettings.of(config("", Map.of("MC_MAX_WR", "0"))))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("MC_MAX_WR");
        EfaSettings s = EfaSettings.of(config("rdmap16s27", Map.of()));
        assertThat(s.provider()).isEqualTo("efa");
        assertThat(s.domainOf("rdmap16s27")).isEqualTo("rdmap16s27-rdm");
        assertThat(s.cqThreads()).isEqualTo(1);
        assertThat(s.nicSelection()).isEqualTo("all");
    }

    @Test
    @SuppressWarnings("unchecked")
    void knobsTakeEffectAndTheStatsSayWhichProviderDomainAndFabricRun() {
        Map<String, String> env = Map.of("MC_EFA_PROVIDER", "tcp;ofi_rxm", "MC_MAX_WR", "16", "MC_EFA_CQ_THREADS", "0",
                "MC_EFA_NIC_SELECTION", "local");
        TransportContext ctx = Hosts.transportContext(config("lo", env));
        try (Transport t = new EfaTransportProvider().create(ctx)) {
            t.start();
            Map<String, Object> stats = t.stats();

            assertThat(stats).containsEntry("provider", "tcp;ofi_rxm").containsEntry("cqThreads", 1)
                    .containsEntry("nicSelection", "local (no effect: host memory only)");
            Map<String, Object> dev = ((List<Map<String, Object>>) stats.get("devices")).get(0);
            assertThat(dev).containsEntry("name", "lo").containsEntry("domain", "lo")
                    .containsEntry("fabric", "127.0.0.1/32").containsEntry("maxWr", 16)
                    .containsEntry("provider", "tcp;ofi_rxm");
            SegmentDescriptor d = t.describe(new SegmentDescriptor("n:1", "efa", 0, 1, null, List.of(), List.of(),
                    Map.of(), Map.of()));
            assertThat(d.devices()).singleElement().satisfies(x -> assertThat(x.lid()).isZero());
            assertThat(d.priorityMatrix()).containsEntry("cpu:0", List.of(List.of("lo"), List.of()));
        }
    }
}
