package io.mooncake.engine.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.UnsupportedAddressTypeException;
import org.junit.jupiter.api.Test;

/**
 * Listening and connecting channels for an IPv4 address are IPv4 sockets (as the reference's), so
 * that no connection is an IPv4-mapped one on an IPv6 socket; other addresses keep the JDK default.
 */
class PortBinderTest {

    @Test
    void aSpecificIpv4AddressGetsAnIpv4OnlyListenerThatStillServesIpv4Clients() throws Exception {
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0);
        try (ServerSocketChannel probe = PortBinder.openServer(loopback)) {
            // an IPv4 (AF_INET) socket cannot take an IPv6 address; a dual-stack one could
            assertThatThrownBy(() -> probe.bind(new InetSocketAddress(InetAddress.getByName("::1"), 0)))
                    .isInstanceOf(UnsupportedAddressTypeException.class);
        }
        try (ServerSocketChannel server = PortBinder.openServer(loopback)) {
            server.bind(loopback);
            InetSocketAddress bound = (InetSocketAddress) server.getLocalAddress();
            try (SocketChannel client = PortBinder.openClient(bound);
                    SocketChannel accepted = connectAndAccept(client, server, bound)) {
                assertThat(((InetSocketAddress) accepted.getRemoteAddress()).getAddress().getHostAddress())
                        .isEqualTo("127.0.0.1");
            }
        }
    }

    @Test
    void aClientForAnIpv4AddressIsAnIpv4Socket() throws Exception {
        try (SocketChannel client = PortBinder.openClient(new InetSocketAddress("127.0.0.1", 9))) {
            assertThatThrownBy(() -> client.bind(new InetSocketAddress(InetAddress.getByName("::1"), 0)))
                    .isInstanceOf(UnsupportedAddressTypeException.class);
        }
    }

    @Test
    void theWildcardAddressKeepsTheJdkDefaultChannelWhichTakesIpv6Too() throws Exception {
        InetSocketAddress ipv6Loopback = new InetSocketAddress(InetAddress.getByName("::1"), 0);
        try (ServerSocketChannel plain = ServerSocketChannel.open()) {
            plain.bind(ipv6Loopback);
        } catch (java.io.IOException | UnsupportedOperationException e) {
            assumeTrue(false, "this host has no IPv6 loopback (" + e + "): the dual-stack case cannot be shown");
        }
        try (ServerSocketChannel server = PortBinder.openServer(new InetSocketAddress(0))) {
            server.bind(ipv6Loopback);
            assertThat(((InetSocketAddress) server.getLocalAddress()).getAddress()).isInstanceOf(Inet6Address.class);
        }
    }

    private static SocketChannel connectAndAccept(SocketChannel client, ServerSocketChannel server,
            InetSocketAddress at) throws Exception {
        client.connect(at);
        return server.accept();
    }
}
