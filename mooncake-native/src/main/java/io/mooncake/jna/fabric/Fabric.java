package io.mooncake.jna.fabric;

import java.util.List;

/**
 * Facade of libfabric for probes: which providers and domains the library offers. Implementations
 * are thread-safe and return libfabric errors in {@link Query#rc()} instead of throwing.
 */
public interface Fabric {

    /** The library's API version as {@code major.minor}. */
    String version();

    /**
     * Calls {@code fi_getinfo} with hints naming one provider.
     *
     * @param provider the provider name, e.g. {@code efa} or {@code tcp}
     * @param reliableDatagram whether to ask only for {@code FI_EP_RDM} endpoints
     */
    Query getInfo(String provider, boolean reliableDatagram);

    /**
     * Opens a domain with an RDM endpoint, address vector and completion queue.
     *
     * @throws FabricException when libfabric refuses; this default (fakes) always does
     */
    default RdmEndpoint open(RdmEndpoint.Hints hints) {
        throw new FabricException("fi_getinfo(provider=" + hints.provider() + ")", -38,
                "this libfabric facade cannot open endpoints");
    }

    /**
     * One {@code fi_info} entry.
     *
     * @param provider the provider, utility layers after {@code ;} (e.g. {@code tcp;ofi_rxm})
     * @param fabric the fabric name (an address range for socket providers)
     * @param domain the domain name, e.g. {@code rdmap16s27-rdm} for EFA
     * @param endpointType the {@code fi_ep_type} number (3 = RDM)
     */
    record Info(String provider, String fabric, String domain, int endpointType) {

        /** The core provider, without utility layers: {@code tcp} for {@code tcp;ofi_rxm}. */
        public String coreProvider() {
            int semi = provider.indexOf(';');
            return semi < 0 ? provider : provider.substring(0, semi);
        }
    }

    /**
     * The result of one {@code fi_getinfo}.
     *
     * @param rc 0, or the negative libfabric error ({@code -61}, {@code -FI_ENODATA}, when no provider matched)
     * @param error {@code fi_strerror} of {@code rc}, {@code null} on success
     * @param infos the entries, empty on error
     */
    record Query(int rc, String error, List<Info> infos) {

        public Query {
            infos = List.copyOf(infos);
        }
    }
}
