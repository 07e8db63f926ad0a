package io.mooncake.actuate.endpoint;

/**
 * What the hardware probes of this host found and the NIC priority matrix, for the
 * {@code mooncake} endpoint. Implemented over mooncake-native when it is on the classpath.
 */
@FunctionalInterface
public interface HardwareReport {

    /** The probes' findings and the topology; may be computed once and cached. */
    MooncakeEndpoint.HardwareDescriptor describe();
}
