package io.mooncake.transport.hip;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Whether a peer's host is this host (a loopback address or an address of a local interface), cached per name. */
final class SameHost {

    private static final Map<String, Boolean> CACHE = new ConcurrentHashMap<>();

    private SameHost() {
    }

    static boolean isLocal(String host) {
        if (host == null || host.isEmpty()) {
            return false;
        }
        return CACHE.computeIfAbsent(host, h -> {
            try {
                for (InetAddress a : InetAddress.getAllByName(h)) {
                    if (a.isLoopbackAddress() || a.isAnyLocalAddress() || NetworkInterface.getByInetAddress(a) != null) {
                        return true;
                    }
                }
            } catch (UnknownHostException | SocketException e) {
                return false;
            }
            return false;
        });
    }
}
