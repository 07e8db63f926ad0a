package io.mooncake.engine.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.core.AdvertisedAddress.Network;
import io.mooncake.engine.core.AdvertisedAddress.Nic;
import io.mooncake.engine.metadata.MetadataConnection;
import io.mooncake.engine.select.SelectionReport;
import io.mooncake.engine.transport.Availability;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the advertised address is chosen, on described hosts (no real interfaces needed). */
class AdvertisedAddressTest {

    private static final MetadataConnection P2P = MetadataConnection.parse("P2PHANDSHAKE");
    private static final MetadataConnection SHARED_ETCD = MetadataConnection.parse("etcd://10.1.2.3:2379");
    private static final MetadataConnection LOCAL_ETCD = MetadataConnection.parse("etcd://127.0.0.1:2379");

    private static Network host(String defaultRoute, Nic... nics) {
        return new Network() {
            @Override
            public List<Nic> interfaces() {
                return List.of(nics);
            }

            @Override
            public String defaultRouteInterface() {
                return defaultRoute;
            }
        };
    }

    private static Nic nic(String name, boolean up, boolean loopback, String... addresses) throws Exception {
        List<InetAddress> a = new java.util.ArrayList<>();
        for (String s : addresses) {
            a.add(InetAddress.getByName(s));
        }
        return new Nic(name, up, loopback, a);
    }

    private static EngineConfig config(String bind) {
        EngineConfig.Builder b = EngineConfig.builder().environment(Map.of());
        if (bind != null) {
            b.bindAddress(bind);
        }
        return b.build();
    }

    @Test
    void withAMetadataServerLocalhostIsReplacedByTheDefaultRouteInterface() throws Exception {
        Network net = host("eth1", nic("lo", true, true, "127.0.0.1"), nic("docker0", true, false, "172.17.0.1"),
                nic("eth1", true, false, "10.0.0.7"));
        AdvertisedAddress a = AdvertisedAddress.choose(config(null), SHARED_ETCD, "localhost", net);
        assertThat(a.host()).isEqualTo("10.0.0.7");
        assertThat(a.how()).contains("loopback name").contains("eth1").contains("default route");
        assertThat(a.warning()).isNull();
    }

    @Test
    void withoutADefaultRouteTheFirstUpNonLoopbackInterfaceIsUsed() throws Exception {
        Network net = host(null, nic("lo", true, true, "127.0.0.1"), nic("eth0", false, false, "10.0.0.9"),
                nic("eth2", true, false, "fe80::1", "192.168.5.5"));
        AdvertisedAddress a = AdvertisedAddress.choose(config(null), SHARED_ETCD, "localhost", net);
        assertThat(a.host()).isEqualTo("192.168.5.5");
        assertThat(a.how()).contains("eth2").contains("first up, non-loopback");
    }

    @Test
    void aRoutableHostNameIsKept() throws Exception {
        Network net = host("eth0", nic("eth0", true, false, "10.0.0.7"));
        AdvertisedAddress a = AdvertisedAddress.choose(config(null), SHARED_ETCD, "no-such-node.invalid", net);
        assertThat(a.host()).isEqualTo("10.0.0.7"); // does not resolve: replaced, and said so
        assertThat(a.how()).contains("does not resolve");
        AdvertisedAddress kept = AdvertisedAddress.choose(config(null), SHARED_ETCD, "10.9.9.9", net);
        assertThat(kept.host()).isEqualTo("10.9.9.9");
        assertThat(kept.how()).isEqualTo("mooncake.local-hostname");
    }

    @Test
    void theBindAddressWinsAndLoopbackToASharedServerIsWarned() throws Exception {
        Network net = host("eth0", nic("eth0", true, false, "10.0.0.7"));
        AdvertisedAddress a = AdvertisedAddress.choose(config("127.0.0.1"), SHARED_ETCD, "node-a", net);
        assertThat(a.host()).isEqualTo("127.0.0.1");
        assertThat(a.how()).contains("MC_TCP_BIND_ADDRESS");
        assertThat(a.warning()).contains("shared metadata server").contains("10.0.0.7 (eth0)");
        assertThat(AdvertisedAddress.choose(config("127.0.0.1"), LOCAL_ETCD, "node-a", net).warning()).isNull();
    }

    @Test
    void noInterfaceAtAllAdvertisesLoopbackWithAWarningToASharedServer() {
        AdvertisedAddress a = AdvertisedAddress.choose(config(null), SHARED_ETCD, "localhost", host(null));
        assertThat(a.host()).isEqualTo("127.0.0.1");
        assertThat(a.how()).contains("no up, non-loopback interface");
        assertThat(a.warning()).contains("peers on other hosts will connect to themselves");
    }

    @Test
    void underP2pTheNameHostIsKeptAndALoopbackNameIsWarnedWithTheFix() throws Exception {
        Network net = host("eth0", nic("eth0", true, false, "10.0.0.7"));
        AdvertisedAddress a = AdvertisedAddress.choose(config(null), P2P, "localhost", net);
        assertThat(a.host()).isEqualTo("localhost");
        assertThat(a.warning()).contains("mooncake.local-hostname").contains("10.0.0.7 (eth0)");
        assertThat(AdvertisedAddress.choose(config(null), P2P, "node-a", net).warning()).isNull();
    }

    @Test
    void theDefaultRouteIsReadFromTheKernelTable(@TempDir Path dir) throws Exception {
        Path table = dir.resolve("route");
        Files.writeString(table, """
                Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
                eth9\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
                eth3\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
                """);
        assertThat(AdvertisedAddress.defaultRoute(table)).isEqualTo("eth3");
        assertThat(AdvertisedAddress.defaultRoute(dir.resolve("missing"))).isNull();
    }

    @Test
    void theReadyLineStatesRequestedAndRunningProtocolAndWhy() {
        SelectionReport fellBack = new SelectionReport(List.of("rdma"), List.of("tcp", "local"), List.of(
                new SelectionReport.Decision("rdma", Availability.unavailable(Availability.Cause.NO_DEVICE,
                        "no RDMA device", "install an HCA"), SelectionReport.Outcome.FELL_BACK, "tcp",
                        "no RDMA device; falling back to tcp")));
        assertThat(Engine.protocolSummary(fellBack)).isEqualTo("protocol requested rdma, running tcp "
                + "(rdma: no RDMA device; falling back to tcp), transports [tcp, local]");
        SelectionReport plain = new SelectionReport(List.of("tcp"), List.of("tcp"), List.of());
        assertThat(Engine.protocolSummary(plain)).isEqualTo("protocol requested tcp, running tcp, transports [tcp]");
    }
}
