package io.mooncake.jna.fabric;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import java.util.List;

/**
 * JNA binding to libfabric (OFI): the exported functions. Everything else a data path needs
 * ({@code fi_domain}, {@code fi_endpoint}, {@code fi_mr_reg}, {@code fi_write}, {@code fi_cq_read}
 * ...) is a {@code static inline} in the headers that calls through an object's ops table;
 * {@link RdmEndpoint} makes those calls through the tables, at the offsets of {@link FabricAbi}.
 */
public interface LibFabric extends Library {

    /** File names tried. */
    List<String> NAMES = List.of("libfabric.so.1", "fabric");

    /** The library's API version, {@code (major << 16) | minor}. */
    int fi_version();

    int fi_getinfo(int version, String node, String service, long flags, Pointer hints, PointerByReference info);

    void fi_freeinfo(Pointer info);

    /** {@code fi_dupinfo(NULL)} is {@code fi_allocinfo()}: empty hints with every attribute allocated. */
    Pointer fi_dupinfo(Pointer info);

    int fi_fabric(Pointer attr, PointerByReference fabric, Pointer context);

    String fi_strerror(int errnum);
}
