package io.mooncake.jna.hip;

import com.sun.jna.Native;
import com.sun.jna.ptr.IntByReference;
import io.mooncake.jna.AcceleratorRuntime;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.RuntimeCache;
import io.mooncake.jna.RuntimeQuery;
import java.util.ArrayList;
import java.util.List;

/** {@link AcceleratorRuntime} over libamdhip64; the HIP runtime needs no explicit init or shutdown. Thread-safe. */
public final class JnaHip implements AcceleratorRuntime {

    private static final RuntimeCache<LibAmdHip64> CACHE = new RuntimeCache<>(LibAmdHip64.class, JnaHip::new);

    private final LibAmdHip64 lib;

    private JnaHip(LibAmdHip64 lib) {
        this.lib = lib;
    }

    /** The HIP runtime from the first candidate that links ({@code libamdhip64.so} or a path). */
    public static Loaded<AcceleratorRuntime> load(List<String> candidates) {
        return CACHE.load(candidates);
    }

    @Override
    public RuntimeQuery query() {
        IntByReference count = new IntByReference();
        int rc = lib.hipGetDeviceCount(count);
        if (rc != 0) {
            return RuntimeQuery.failed(rc, lib.hipGetErrorString(rc));
        }
        List<String> buses = new ArrayList<>();
        for (int i = 0; i < count.getValue(); i++) {
            byte[] bus = new byte[64];
            if (lib.hipDeviceGetPCIBusId(bus, bus.length, i) == 0) {
                buses.add(RuntimeQuery.normalizePciBusId(Native.toString(bus)));
            }
        }
        return RuntimeQuery.devices(count.getValue(), buses.size() == count.getValue() ? buses : List.of());
    }
}
