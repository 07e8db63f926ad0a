package io.mooncake.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.api.Protocol;
import io.mooncake.engine.api.TransportUnavailableException;
import io.mooncake.engine.select.TransportSelector;
import io.mooncake.engine.transport.TransportProvider;
import io.mooncake.testing.Hosts;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServiceRegistrationTest {

    @TempDir
    Path root;

    @Test
    void serviceLoaderFindsOneProviderForEveryProtocolTcpFromTheEngine() {
        List<String> protocols = new ArrayList<>();
        ServiceLoader.load(TransportProvider.class).forEach(p -> protocols.add(p.protocol()));

        // rdma_inmemory, hip_double: this module's test-only providers (rdma over the in-memory verbs fixture,
        // hip over the HIP test double)
        assertThat(protocols).containsExactlyInAnyOrder("tcp", "local", "shm", "rdma", "efa", "nvlink", "nvlink_intra",
                "hip", "barex", "cxl", "ascend", "nvmeof", "rdma_inmemory", "hip_double");
        for (Protocol p : Protocol.values()) {
            assertThat(protocols).contains(p.id());
        }
    }

    @Test
    void everyServiceLoadedProviderRefusesToCreateOnABareHost() {
        TransportSelector selector = TransportSelector.fromServiceLoader(getClass().getClassLoader());
        for (Protocol p : Protocol.values()) {
            if (p == Protocol.TCP) {
                continue;
            }
            TransportProvider provider = selector.provider(p.id());
            assertThat(provider).as(p.id()).isNotNull();
            var ctx = Hosts.transportContext(Hosts.config(root, p.id(), "", Map.of()));
            assertThatThrownBy(() -> provider.create(ctx)).as(p.id())
                    .isInstanceOf(TransportUnavailableException.class)
                    .hasMessageStartingWith("protocol '" + p.id() + "' unavailable: ")
                    .hasMessageEndingWith("set mooncake.protocol=tcp");
        }
    }
}
