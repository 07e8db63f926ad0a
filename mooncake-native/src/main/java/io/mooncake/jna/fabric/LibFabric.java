package io.mooncake.jna.fabric;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import java.util.List;

/**
 * JNA binding to libfabric (OFI): discovery calls only ({@code fi_getinfo} and friends).
 *
 * <p>{@code struct fi_info} is read through the fixed offsets below (x86-64 and aarch64 LP64
 * layout, unchanged since libfabric 1.0 because new fields are only appended).
 */
public interface LibFabric extends Library {

    /** File names tried. */
    List<String> NAMES = List.of("libfabric.so.1", "fabric");

    /** {@code fi_info.next}. */
    long INFO_NEXT = 0;
    /** {@code fi_info.ep_attr}. */
    long INFO_EP_ATTR = 88;
    /** {@code fi_info.domain_attr}. */
    long INFO_DOMAIN_ATTR = 96;
    /** {@code fi_info.fabric_attr}. */
    long INFO_FABRIC_ATTR = 104;
    /** {@code fi_ep_attr.type} (an enum, first member). */
    long EP_ATTR_TYPE = 0;
    /** {@code fi_domain_attr.name}. */
    long DOMAIN_ATTR_NAME = 8;
    /** {@code fi_fabric_attr.name}. */
    long FABRIC_ATTR_NAME = 8;
    /** {@code fi_fabric_attr.prov_name}. */
    long FABRIC_ATTR_PROV_NAME = 16;
    /** {@code FI_EP_RDM}: reliable datagram endpoints, what the EFA transport uses. */
    int FI_EP_RDM = 3;
    /** {@code FI_ENODATA}: no provider matched the hints. */
    int FI_ENODATA = 61;

    /** The library's API version, {@code (major << 16) | minor}. */
    int fi_version();

    int fi_getinfo(int version, String node, String service, long flags, Pointer hints, PointerByReference info);

    void fi_freeinfo(Pointer info);

    /** {@code fi_dupinfo(NULL)} is {@code fi_allocinfo()}: empty hints with every attribute allocated. */
    Pointer fi_dupinfo(Pointer info);

    String fi_strerror(int errnum);
}
