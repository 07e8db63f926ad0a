package io.mooncake.jna.verbs;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.NativeLoading;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link Verbs} over the real libibverbs, loaded once per JVM on first use by a lazy holder
 * (a missing library is remembered as a failed {@link Loaded}, never thrown). Thread-safe:
 * every call builds and frees its own device list.
 */
public final class JnaVerbs implements Verbs {

    private final LibIbverbs lib;

    private JnaVerbs(LibIbverbs lib) {
        this.lib = lib;
    }

    /** The process-wide libibverbs, or why it cannot be loaded. */
    public static Loaded<Verbs> load() {
        return Holder.LOADED;
    }

    @Override
    public DeviceList devices() {
        return list(lib);
    }

    /** {@code ibv_get_device_list} as a {@link DeviceList}; the native list is freed before returning. */
    static DeviceList list(LibIbverbs lib) {
        IntByReference count = new IntByReference();
        Pointer list = lib.ibv_get_device_list(count);
        if (list == null) {
            return new DeviceList(List.of(), Native.getLastError());
        }
        try {
            List<Device> devices = new ArrayList<>();
            for (int i = 0; i < count.getValue(); i++) {
                Pointer dev = list.getPointer((long) i * Native.POINTER_SIZE);
                if (dev == null) {
                    break;
                }
                long guid = lib.ibv_get_device_guid(dev);
                if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
                    guid = Long.reverseBytes(guid);
                }
                devices.add(new Device(lib.ibv_get_device_name(dev), guid));
            }
            return new DeviceList(devices, 0);
        } finally {
            lib.ibv_free_device_list(list);
        }
    }

    private static final class Holder {
        static final Loaded<Verbs> LOADED = NativeLoading.load(LibIbverbs.class, LibIbverbs.NAMES, JnaVerbs::new);
    }
}
