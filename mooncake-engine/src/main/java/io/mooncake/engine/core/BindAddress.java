package io.mooncake.engine.core;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.function.Predicate;

/**
 * The address the handshake and data listeners bind: where the node is advertised, so a port is
 * not open on interfaces peers are never told about (a management network, a public address).
 * The rules, first that applies:
 * <ol>
 * <li>{@code mooncake.bind-address} ({@code MC_TCP_BIND_ADDRESS}) {@code 0.0.0.0} or {@code ::}:
 * every interface, as the reference binds;</li>
 * <li>{@code mooncake.bind-address} set to an address: that address;</li>
 * <li>the advertised address, when it is (or its name resolves to) an address of this host;</li>
 * <li>else every interface, with the reason (an advertised name that resolves elsewhere, behind
 * NAT or a proxy), so that a node still starts.</li>
 * </ol>
 *
 * @param address the address to bind, {@code null} for every interface
 * @param how how it was chosen, one sentence for the log and Actuator
 * @param warning why the listeners are more exposed than advertised, with the fix; {@code null} when not
 */
public record BindAddress(String address, String how, String warning) {

    /** Chooses on this host's interfaces. */
    static BindAddress choose(String configured, String advertisedHost) {
        return choose(configured, advertisedHost, BindAddress::isLocal);
    }

    static BindAddress choose(String configured, String advertisedHost, Predicate<InetAddress> local) {
        if (configured != null && isWildcard(configured)) {
            return new BindAddress(null, "every interface: mooncake.bind-address (MC_TCP_BIND_ADDRESS) is "
                    + configured, null);
        }
        if (configured != null) {
            return new BindAddress(configured, "mooncake.bind-address (MC_TCP_BIND_ADDRESS)", null);
        }
        InetAddress a;
        try {
            a = InetAddress.getByName(advertisedHost);
        } catch (UnknownHostException e) {
            return new BindAddress(null, "every interface", "the advertised host '" + advertisedHost
                    + "' does not resolve, so the listeners bind every interface; set mooncake.bind-address "
                    + "(MC_TCP_BIND_ADDRESS) to this node's address to listen on it alone");
        }
        if (local.test(a)) {
            return new BindAddress(a.getHostAddress(), "the advertised address" + (advertisedHost.equals(
                    a.getHostAddress()) ? "" : " (" + advertisedHost + ")") + "; set mooncake.bind-address=0.0.0.0 "
                    + "to listen on every interface", null);
        }
        return new BindAddress(null, "every interface", "the advertised host '" + advertisedHost + "' ("
                + a.getHostAddress() + ") is not an address of this host (NAT or a proxy?), so the listeners bind "
                + "every interface; set mooncake.bind-address (MC_TCP_BIND_ADDRESS) to the local address to "
                + "listen on it alone");
    }

    /** The address in words: the address, or every interface. */
    public String describe() {
        return address == null ? "0.0.0.0 (every interface)" : address;
    }

    static boolean isWildcard(String a) {
        String h = a.trim();
        return h.equals("0.0.0.0") || h.equals("::") || h.equals("[::]");
    }

    private static boolean isLocal(InetAddress a) {
        if (a.isLoopbackAddress() || a.isAnyLocalAddress()) {
            return true;
        }
        try {
            return NetworkInterface.getByInetAddress(a) != null;
        } catch (SocketException e) {
            return false;
        }
    }
}
