package io.mooncake.jna.nvml;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.NativeLoading;
import io.mooncake.jna.RuntimeQuery;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Nvml} over the real libnvidia-ml, loaded once per JVM by a lazy holder. Each snapshot
 * opens its own NVML session ({@code nvmlInit_v2}) and closes it ({@code nvmlShutdown}); NVML
 * counts sessions, so this never disturbs other users in the process. Thread-safe.
 */
public final class JnaNvml implements Nvml {

    private static final Logger log = LoggerFactory.getLogger(JnaNvml.class);

    private final LibNvml lib;

    private JnaNvml(LibNvml lib) {
        this.lib = lib;
    }

    /** The process-wide NVML, or why it cannot be loaded. */
    public static Loaded<Nvml> load() {
        return Holder.LOADED;
    }

    @Override
    public Snapshot snapshot() {
        int rc = lib.nvmlInit_v2();
        if (rc != LibNvml.NVML_SUCCESS) {
            return new Snapshot(rc, lib.nvmlErrorString(rc), "", List.of());
        }
        try {
            byte[] version = new byte[96];
            String driver = lib.nvmlSystemGetDriverVersion(version, version.length) == 0 ? Native.toString(version) : "";
            IntByReference count = new IntByReference();
            rc = lib.nvmlDeviceGetCount_v2(count);
            if (rc != LibNvml.NVML_SUCCESS) {
                return new Snapshot(rc, lib.nvmlErrorString(rc), driver, List.of());
            }
            List<Gpu> gpus = new ArrayList<>();
            for (int i = 0; i < count.getValue(); i++) {
                PointerByReference handle = new PointerByReference();
                rc = lib.nvmlDeviceGetHandleByIndex_v2(i, handle);
                if (rc != LibNvml.NVML_SUCCESS) {
                    return new Snapshot(rc, lib.nvmlErrorString(rc), driver, gpus);
                }
                gpus.add(gpu(i, handle.getValue()));
            }
            return new Snapshot(0, null, driver, gpus);
        } finally {
            lib.nvmlShutdown();
        }
    }

    private Gpu gpu(int index, Pointer device) {
        byte[] name = new byte[96];
        lib.nvmlDeviceGetName(device, name, name.length);
        Memory pci = new Memory(LibNvml.PCI_INFO_SIZE);
        pci.clear();
        String busId = lib.nvmlDeviceGetPciInfo_v3(device, pci) == 0 ? busId(pci) : "";
        List<NvLink> links = new ArrayList<>();
        for (int link = 0; link < LibNvml.MAX_NVLINKS; link++) {
            IntByReference active = new IntByReference();
            if (lib.nvmlDeviceGetNvLinkState(device, link, active) != LibNvml.NVML_SUCCESS) {
                continue; // the link does not exist on this GPU
            }
            Memory remote = new Memory(LibNvml.PCI_INFO_SIZE);
            remote.clear();
            String remoteBus = lib.nvmlDeviceGetNvLinkRemotePciInfo_v2(device, link, remote) == 0 ? busId(remote) : "";
            links.add(new NvLink(link, active.getValue() != 0, remoteBus));
        }
        return new Gpu(index, Native.toString(name), busId, fabric(device), links);
    }

    private Fabric fabric(Pointer device) {
        Memory info = new Memory(LibNvml.FABRIC_INFO_SIZE);
        info.clear();
        try {
            if (lib.nvmlDeviceGetGpuFabricInfo(device, info) != LibNvml.NVML_SUCCESS) {
                return Fabric.NONE;
            }
        } catch (UnsatisfiedLinkError e) {
            log.debug("NVML has no nvmlDeviceGetGpuFabricInfo (driver older than 525): {}", e.getMessage());
            return Fabric.NONE;
        }
        String uuid = HexFormat.of().formatHex(info.getByteArray(0, 16));
        return new Fabric(FabricState.of(info.getByte(24) & 0xff), info.getInt(16), uuid, info.getInt(20));
    }

    private static String busId(Memory pci) {
        String s = pci.getString(LibNvml.PCI_INFO_BUS_ID);
        return s.isEmpty() ? s : RuntimeQuery.normalizePciBusId(s);
    }

    private static final class Holder {
        static final Loaded<Nvml> LOADED = NativeLoading.load(LibNvml.class, LibNvml.NAMES, JnaNvml::new);
    }
}
