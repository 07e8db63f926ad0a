package io.mooncake.engine.rpc;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.api.PortInUseException;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ThreadLocalRandom;

/** Binds a listener to a given port or to a free one in a range, as the reference picks RPC ports. */
public final class PortBinder {

    /** Opens a listener bound to an address. */
    @FunctionalInterface
    public interface Opener<T> {
        T open(InetSocketAddress address) throws IOException;
    }

    private PortBinder() {
    }

    /**
     * Binds {@code port}, or when it is 0 tries random ports in [{@code min}, {@code max}]
     * (up to 500 tries, like the reference).
     */
    public static <T> T bind(String bindAddress, int port, int min, int max, Opener<T> opener, String what) {
        if (port != 0) {
            try {
                return opener.open(address(bindAddress, port));
            } catch (IOException e) {
                throw new PortInUseException(what, port, "cannot bind " + what + " port "
                        + port
                        + (bindAddress == null ? "" : " on " + bindAddress) + ": " + e.getMessage()
                        + "; the port is in use or not permitted: choose another port or 0 for a free one", e);
            }
        }
        IOException last = null;
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        for (int i = 0; i < 500; i++) {
            int p = min + rnd.nextInt(max - min + 1);
            try {
                return opener.open(address(bindAddress, p));
            } catch (IOException e) {
                last = e;
            }
        }
        throw new MooncakeException(ErrorCode.SOCKET, "no free " + what + " port in " + min + "-" + max
                + " after 500 tries (last error: " + (last == null ? "none" : last.getMessage())
                + "); widen MC_MIN_RPC_PORT/MC_MAX_RPC_PORT or set the port explicitly", last);
    }

    /**
     * A listening channel for {@code address}, not bound yet: an IPv4 one when the address is a
     * specific IPv4 address (so that every accepted connection is a plain IPv4 socket rather than an
     * IPv4-mapped one on an IPv6 socket, which costs the kernel and the JDK more per connection, and
     * is what the reference listens on), else the JDK's default (dual-stack for a wildcard address).
     */
    public static ServerSocketChannel openServer(InetSocketAddress address) throws IOException {
        return address.getAddress() instanceof Inet4Address && !address.getAddress().isAnyLocalAddress()
                ? ServerSocketChannel.open(StandardProtocolFamily.INET)
                : ServerSocketChannel.open();
    }

    /** A channel to connect to {@code remote}: IPv4 for an IPv4 address (as {@link #openServer}), else the default. */
    public static SocketChannel openClient(InetSocketAddress remote) throws IOException {
        return remote.getAddress() instanceof Inet4Address ? SocketChannel.open(StandardProtocolFamily.INET)
                : SocketChannel.open();
    }

    private static InetSocketAddress address(String bindAddress, int port) {
        return bindAddress == null ? new InetSocketAddress(port) : new InetSocketAddress(bindAddress, port);
    }
}
