package io.mooncake.jna.cndrv;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import io.mooncake.jna.AcceleratorRuntime;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.RuntimeCache;
import io.mooncake.jna.RuntimeQuery;
import java.util.List;

/** {@link AcceleratorRuntime} over CNDrv; {@code cnInit} is idempotent and CNDrv has no shutdown call. Thread-safe. */
public final class JnaCndrv implements AcceleratorRuntime {

    private static final RuntimeCache<LibCndrv> CACHE = new RuntimeCache<>(LibCndrv.class, JnaCndrv::new);

    private final LibCndrv lib;

    private JnaCndrv(LibCndrv lib) {
        this.lib = lib;
    }

    /** CNDrv from the first candidate that links. */
    public static Loaded<AcceleratorRuntime> load(List<String> candidates) {
        return CACHE.load(candidates);
    }

    @Override
    public RuntimeQuery query() {
        int rc = lib.cnInit(0);
        if (rc != 0) {
            return RuntimeQuery.failed(rc, "cnInit failed: " + error(rc));
        }
        IntByReference count = new IntByReference();
        rc = lib.cnDeviceGetCount(count);
        if (rc != 0) {
            return RuntimeQuery.failed(rc, "cnDeviceGetCount failed: " + error(rc));
        }
        return RuntimeQuery.devices(count.getValue(), List.of());
    }

    private String error(int rc) {
        PointerByReference text = new PointerByReference();
        if (lib.cnGetErrorString(rc, text) == 0) {
            Pointer p = text.getValue();
            if (p != null) {
                return p.getString(0);
            }
        }
        return "CNresult " + rc;
    }
}
