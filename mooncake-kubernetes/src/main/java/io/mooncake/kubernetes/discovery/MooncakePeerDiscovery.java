package io.mooncake.kubernetes.discovery;

import java.util.List;

/**
 * Finds the other members of this instance's Mooncake cluster and their segment names, so an
 * application can open their segments without a metadata server (P2PHANDSHAKE).
 */
@FunctionalInterface
public interface MooncakePeerDiscovery {

    /**
     * The members known now, this instance among them ({@link MooncakePeer#self()}), sorted by
     * name. Each call asks again; nothing is cached.
     *
     * @throws PeerDiscoveryException when the source of members cannot be read
     */
    List<MooncakePeer> peers();
}
