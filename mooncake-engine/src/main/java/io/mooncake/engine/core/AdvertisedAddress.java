package io.mooncake.engine.core;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.metadata.MetadataConnection;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The address peers reach this node at (published in {@code rpc_meta} and, under P2P, the host of
 * the segment name), and how it was chosen, for the log and Actuator.
 *
 * <p>The rules, first that applies:
 * <ol>
 * <li>{@code mooncake.bind-address} ({@code MC_TCP_BIND_ADDRESS}) when set to a concrete address;</li>
 * <li>under P2P, the host of {@code local-hostname}: it is the segment name peers use, so it is kept
 * even when it is a loopback name (with a warning that names a routable address to set);</li>
 * <li>with a metadata server, the host of {@code local-hostname} when it is not a loopback name and
 * resolves;</li>
 * <li>else the first IPv4 address of the interface of the default route ({@code /proc/net/route});</li>
 * <li>else the first IPv4 address of the first up, non-loopback interface (the reference's rule);</li>
 * <li>else {@code 127.0.0.1}.</li>
 * </ol>
 * A loopback address advertised to a metadata server on another host gets a warning: peers would
 * connect to themselves.
 *
 * @param host the advertised host or address
 * @param how how it was chosen, one sentence
 * @param warning why peers on other hosts may not reach it, with the fix; {@code null} when fine
 */
public record AdvertisedAddress(String host, String how, String warning) {

    /** One network interface as this class sees it (a record, so tests can describe a host). */
    public record Nic(String name, boolean up, boolean loopback, List<InetAddress> addresses) {
    }

    /** The host's network: its interfaces and the interface of its default route. */
    public interface Network {
        List<Nic> interfaces();

        /** The interface name of the IPv4 default route, or {@code null}. */
        String defaultRouteInterface();

        /** This host's real network ({@code /proc/net/route} on Linux). */
        static Network system() {
            return new Network() {
                @Override
                public List<Nic> interfaces() {
                    List<Nic> out = new ArrayList<>();
                    try {
                        for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                            out.add(new Nic(nif.getName(), nif.isUp(), nif.isLoopback(),
                                    Collections.list(nif.getInetAddresses())));
                        }
                    } catch (SocketException e) {
                        // none readable: the caller falls back to loopback and says so
                    }
                    return out;
                }

                @Override
                public String defaultRouteInterface() {
                    return defaultRoute(Path.of("/proc/net/route"));
                }
            };
        }
    }

    /** The interface of the IPv4 default route in a {@code /proc/net/route} table, or {@code null}. */
    static String defaultRoute(Path table) {
        try {
            for (String line : Files.readAllLines(table)) {
                String[] f = line.trim().split("\\s+");
                // Iface Destination Gateway Flags ... Mask: destination 0 and mask 0 is the default
                if (f.length >= 8 && "00000000".equals(f[1]) && "00000000".equals(f[7])) {
                    return f[0];
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux or not readable
        }
        return null;
    }

    /** Chooses on this host's network. */
    static AdvertisedAddress choose(EngineConfig config, MetadataConnection metadata, String host) {
        return choose(config, metadata, host, Network.system());
    }

    /** Chooses the advertised address; {@code host} is the host part of {@code local-hostname}. */
    static AdvertisedAddress choose(EngineConfig config, MetadataConnection metadata, String host,
            Network network) {
        String bind = config.bindAddress();
        if (bind != null && !bind.isBlank() && !isWildcard(bind)) {
            return checked(bind, "mooncake.bind-address (MC_TCP_BIND_ADDRESS)", metadata, network);
        }
        if (metadata.isP2p()) {
            if (isLoopback(host)) {
                String routable = routable(network);
                return new AdvertisedAddress(host, "the host of mooncake.local-hostname (under P2PHANDSHAKE the "
                        + "segment name is host:port)", "segment name host '" + host + "' is a loopback name: "
                        + "peers on other hosts cannot reach this node; set mooncake.local-hostname "
                        + "(MOONCAKE_LOCAL_HOSTNAME) to a routable address" + (routable == null ? ""
                        : " such as " + routable));
            }
            return new AdvertisedAddress(host, "the host of mooncake.local-hostname (under P2PHANDSHAKE the "
                    + "segment name is host:port)", null);
        }
        if (!isLoopback(host) && resolves(host)) {
            return new AdvertisedAddress(host, "mooncake.local-hostname", null);
        }
        String why = isLoopback(host) ? "mooncake.local-hostname '" + host + "' is a loopback name"
                : "mooncake.local-hostname '" + host + "' does not resolve";
        String route = network.defaultRouteInterface();
        if (route != null) {
            for (Nic nic : network.interfaces()) {
                if (nic.name().equals(route) && nic.up() && !nic.loopback()) {
                    String a = firstIpv4(nic);
                    if (a != null) {
                        return new AdvertisedAddress(a, why + "; the address of interface " + nic.name()
                                + " (the default route); set mooncake.bind-address to choose", null);
                    }
                }
            }
        }
        for (Nic nic : network.interfaces()) {
            if (nic.up() && !nic.loopback()) {
                String a = firstIpv4(nic);
                if (a != null) {
                    return new AdvertisedAddress(a, why + "; the address of interface " + nic.name()
                            + " (the first up, non-loopback one); set mooncake.bind-address to choose", null);
                }
            }
        }
        return checked("127.0.0.1", why + "; no up, non-loopback interface with an IPv4 address", metadata, network);
    }

    private static AdvertisedAddress checked(String host, String how, MetadataConnection metadata, Network network) {
        if (!metadata.isP2p() && isLoopback(host) && !metadataIsLocal(metadata)) {
            String routable = routable(network);
            return new AdvertisedAddress(host, how, "loopback address " + host + " is advertised to the shared "
                    + "metadata server " + metadata.original() + ": peers on other hosts will connect to "
                    + "themselves; set mooncake.bind-address (MC_TCP_BIND_ADDRESS) to a routable address"
                    + (routable == null ? "" : " such as " + routable));
        }
        return new AdvertisedAddress(host, how, null);
    }

    private static String routable(Network network) {
        String route = network.defaultRouteInterface();
        for (Nic nic : network.interfaces()) {
            if (nic.up() && !nic.loopback() && (route == null || nic.name().equals(route)) && firstIpv4(nic) != null) {
                return firstIpv4(nic) + " (" + nic.name() + ")";
            }
        }
        return null;
    }

    private static String firstIpv4(Nic nic) {
        for (InetAddress a : nic.addresses()) {
            if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
                return a.getHostAddress();
            }
        }
        return null;
    }

    /** Whether every endpoint of the metadata service is on this host's loopback. */
    static boolean metadataIsLocal(MetadataConnection metadata) {
        for (String endpoint : metadata.endpoints()) {
            String h = endpoint.contains("://") ? URI.create(endpoint).getHost() : hostOf(endpoint);
            if (h == null || !isLoopback(h)) {
                return false;
            }
        }
        return true;
    }

    private static String hostOf(String hostPort) {
        if (hostPort.startsWith("[")) {
            int end = hostPort.indexOf(']');
            return end < 0 ? hostPort : hostPort.substring(1, end);
        }
        int colon = hostPort.lastIndexOf(':');
        return colon < 0 ? hostPort : hostPort.substring(0, colon);
    }

    static boolean isLoopback(String host) {
        String h = host.toLowerCase(Locale.ROOT).replace("[", "").replace("]", "");
        return h.equals("localhost") || h.endsWith(".localhost") || h.startsWith("127.") || h.equals("::1")
                || h.equals("0:0:0:0:0:0:0:1");
    }

    private static boolean isWildcard(String a) {
        return a.equals("0.0.0.0") || a.equals("::") || a.equals("[::]");
    }

    private static boolean resolves(String host) {
        try {
            InetAddress.getByName(host);
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
