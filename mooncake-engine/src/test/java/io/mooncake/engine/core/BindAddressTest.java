package io.mooncake.engine.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mooncake.engine.testsupport.Engines;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.util.Collections;
import org.junit.jupiter.api.Test;

/** Listeners bind where the node is advertised, unless told to bind every interface. */
class BindAddressTest {

    @Test
    void theAdvertisedAddressIsBoundWhenItIsLocal() {
        BindAddress b = BindAddress.choose(null, "10.1.2.3", a -> a.getHostAddress().equals("10.1.2.3"));
        assertThat(b.address()).isEqualTo("10.1.2.3");
        assertThat(b.warning()).isNull();
        assertThat(b.how()).contains("advertised").contains("mooncake.bind-address=0.0.0.0");
    }

    @Test
    void aWildcardBindAddressBindsEveryInterfaceAsTheReferenceDoes() {
        assertThat(BindAddress.choose("0.0.0.0", "10.1.2.3", a -> true).address()).isNull();
        assertThat(BindAddress.choose("::", "10.1.2.3", a -> true).address()).isNull();
        assertThat(BindAddress.choose("10.9.9.9", "10.1.2.3", a -> true).address()).isEqualTo("10.9.9.9");
    }

    @Test
    void anAdvertisedAddressOfAnotherHostFallsBackToEveryInterfaceWithAWarning() {
        BindAddress b = BindAddress.choose(null, "203.0.113.7", a -> false);
        assertThat(b.address()).isNull();
        assertThat(b.warning()).contains("203.0.113.7").contains("not an address of this host")
                .contains("mooncake.bind-address");
        BindAddress unresolved = BindAddress.choose(null, "no-such-host.invalid", a -> true);
        assertThat(unresolved.address()).isNull();
        assertThat(unresolved.warning()).contains("does not resolve");
    }

    @Test
    void anEngineAdvertisedOnLoopbackIsNotReachableOnOtherInterfacesUnlessTheWildcardIsAsked() throws Exception {
        InetAddress other = firstNonLoopbackIpv4();
        assumeTrue(other != null, "this host has no non-loopback IPv4 address to try the listeners on");
        try (MooncakeEngine e = MooncakeEngine.start(Engines.loopback().build())) {
            assertThat(e.bindAddress().address()).isEqualTo("127.0.0.1");
            int data = e.localDescriptor().tcpDataPort();
            assertThatThrownBy(() -> connect(other, e.rpcPort())).isInstanceOf(IOException.class);
            assertThatThrownBy(() -> connect(other, data)).isInstanceOf(IOException.class);
            connect(InetAddress.getLoopbackAddress(), e.rpcPort());
        }
        try (MooncakeEngine e = MooncakeEngine.start(Engines.loopback().bindAddress("0.0.0.0").build())) {
            assertThat(e.bindAddress().address()).isNull();
            assertThat(e.advertisedAddress().host()).isEqualTo("127.0.0.1");
            connect(other, e.rpcPort());
            connect(other, e.localDescriptor().tcpDataPort());
        }
    }

    private static void connect(InetAddress host, int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 2000);
        }
    }

    private static InetAddress firstNonLoopbackIpv4() throws IOException {
        for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (nif.isUp() && !nif.isLoopback()) {
                for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                    if (a instanceof Inet4Address) {
                        return a;
                    }
                }
            }
        }
        return null;
    }
}
