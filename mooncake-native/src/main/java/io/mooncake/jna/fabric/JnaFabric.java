package io.mooncake.jna.fabric;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.NativeLoading;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link Fabric} over the real libfabric, loaded once per JVM by a lazy holder and never
 * unloaded. Thread-safe: each query allocates and frees its own hints and results.
 *
 * <p>Loading goes through {@link SignalHandlerGuard}: Debian's libfabric pulls in
 * {@code libinfinipath.so.4}, whose constructor replaces the JVM's {@code SIGSEGV} handler (see
 * there).
 */
public final class JnaFabric implements Fabric {

    private final LibFabric lib;

    private JnaFabric(LibFabric lib) {
        this.lib = lib;
    }

    /** The process-wide libfabric, or why it cannot be loaded. */
    public static Loaded<Fabric> load() {
        return Holder.LOADED;
    }

    @Override
    public String version() {
        int v = lib.fi_version();
        return (v >>> 16) + "." + (v & 0xffff);
    }

    @Override
    public Query getInfo(String provider, boolean reliableDatagram) {
        Pointer hints = lib.fi_dupinfo(null);
        if (hints == null) {
            return new Query(-12, "fi_allocinfo failed (out of memory)", List.of());
        }
        byte[] bytes = provider.getBytes(StandardCharsets.US_ASCII);
        Memory name = new Memory(bytes.length + 1L);
        name.write(0, bytes, 0, bytes.length);
        name.setByte(bytes.length, (byte) 0);
        Pointer fabricAttr = hints.getPointer(FabricAbi.INFO_FABRIC_ATTR);
        PointerByReference result = new PointerByReference();
        int rc;
        try {
            fabricAttr.setPointer(FabricAbi.FABRIC_ATTR_PROV_NAME, name);
            if (reliableDatagram) {
                hints.getPointer(FabricAbi.INFO_EP_ATTR).setInt(FabricAbi.EP_ATTR_TYPE, FabricAbi.FI_EP_RDM);
            }
            // fi_getinfo takes the version it is written against; asking for the library's own is always accepted.
            rc = lib.fi_getinfo(lib.fi_version(), null, null, 0L, hints, result);
        } finally {
            // The provider name is ours (Java memory): detach it so fi_freeinfo does not free it.
            fabricAttr.setPointer(FabricAbi.FABRIC_ATTR_PROV_NAME, null);
            lib.fi_freeinfo(hints);
        }
        if (rc != 0) {
            return new Query(rc, lib.fi_strerror(-rc), List.of());
        }
        List<Info> infos = new ArrayList<>();
        Pointer head = result.getValue();
        try {
            for (Pointer p = head; p != null; p = p.getPointer(FabricAbi.INFO_NEXT)) {
                Pointer fa = p.getPointer(FabricAbi.INFO_FABRIC_ATTR);
                Pointer da = p.getPointer(FabricAbi.INFO_DOMAIN_ATTR);
                Pointer ea = p.getPointer(FabricAbi.INFO_EP_ATTR);
                infos.add(new Info(string(fa, FabricAbi.FABRIC_ATTR_PROV_NAME), string(fa, FabricAbi.FABRIC_ATTR_NAME),
                        string(da, FabricAbi.DOMAIN_ATTR_NAME), ea == null ? 0 : ea.getInt(FabricAbi.EP_ATTR_TYPE)));
            }
        } finally {
            if (head != null) {
                lib.fi_freeinfo(head);
            }
        }
        return new Query(0, null, infos);
    }

    private static String string(Pointer struct, long offset) {
        if (struct == null) {
            return "";
        }
        Pointer s = struct.getPointer(offset);
        return s == null ? "" : s.getString(0, StandardCharsets.UTF_8.name());
    }

    @Override
    public RdmEndpoint open(RdmEndpoint.Hints hints) {
        return RdmEndpoint.open(lib, hints);
    }

    /** The raw binding, for code that drives libfabric itself. */
    public LibFabric lib() {
        return lib;
    }

    private static final class Holder {
        static final Loaded<Fabric> LOADED = SignalHandlerGuard.around("libfabric", () -> {
            Loaded<Fabric> loaded = NativeLoading.load(LibFabric.class, LibFabric.NAMES, JnaFabric::new);
            if (loaded.isLoaded()) {
                // The first fi_getinfo initialises every built-in provider (psm, psm2, verbs, efa ...):
                // do it inside the guard so that handlers installed there are put back too.
                loaded.library().getInfo("mooncake-provider-initialisation", false);
            }
            return loaded;
        }, null);
    }
}
