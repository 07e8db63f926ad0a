package io.mooncake.jna.nvml;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import java.util.List;

/**
 * JNA binding to NVML ({@code libnvidia-ml.so.1}, shipped with the NVIDIA driver): GPU list,
 * PCI addresses, NVLink state and the multi-node NVLink fabric state.
 */
public interface LibNvml extends Library {

    /** File names tried. */
    List<String> NAMES = List.of("libnvidia-ml.so.1", "nvidia-ml");

    int NVML_SUCCESS = 0;
    int NVML_ERROR_NOT_SUPPORTED = 3;
    int NVML_ERROR_NO_PERMISSION = 4;
    int NVML_ERROR_DRIVER_NOT_LOADED = 9;
    /** {@code NVML_NVLINK_MAX_LINKS}. */
    int MAX_NVLINKS = 18;
    /** {@code sizeof(nvmlPciInfo_t)}: busIdLegacy[16], five unsigned ints, busId[32]. */
    int PCI_INFO_SIZE = 68;
    /** Offset of {@code nvmlPciInfo_t.busId}. */
    int PCI_INFO_BUS_ID = 36;
    /** {@code sizeof(nvmlGpuFabricInfo_t)}: clusterUuid[16], status, cliqueId, state (padded). */
    int FABRIC_INFO_SIZE = 28;

    int nvmlInit_v2();

    int nvmlShutdown();

    String nvmlErrorString(int result);

    int nvmlSystemGetDriverVersion(byte[] version, int length);

    int nvmlDeviceGetCount_v2(IntByReference count);

    int nvmlDeviceGetHandleByIndex_v2(int index, PointerByReference device);

    int nvmlDeviceGetName(Pointer device, byte[] name, int length);

    int nvmlDeviceGetPciInfo_v3(Pointer device, Pointer pciInfo);

    int nvmlDeviceGetNvLinkState(Pointer device, int link, IntByReference isActive);

    int nvmlDeviceGetNvLinkRemotePciInfo_v2(Pointer device, int link, Pointer pciInfo);

    /** Fills {@code nvmlGpuFabricInfo_t}; absent before driver 525 (caller catches UnsatisfiedLinkError). */
    int nvmlDeviceGetGpuFabricInfo(Pointer device, Pointer fabricInfo);
}
