package io.mooncake.device.cuda;

import io.mooncake.engine.batch.TransferTask;
import io.mooncake.engine.memory.MemoryKind;
import io.mooncake.engine.memory.Region;
import io.mooncake.engine.metadata.BufferDescriptor;

/** What the CUDA transports (nvlink, nvlink_intra) read off {@code cuda:N} locations and requests. */
public final class CudaLocations {

    private CudaLocations() {
    }

    /** The ordinal of {@code cuda:N}, or -1 for any other location. */
    public static int ordinalOf(String location) {
        if (location == null || !location.startsWith("cuda:")) {
            return -1;
        }
        try {
            return Integer.parseInt(location.substring(5));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * The GPU to copy on: the local buffer's, else the peer buffer's when this node has it, else GPU 0.
     *
     * @param devices GPUs this node's driver sees
     */
    public static int ordinalFor(TransferTask task, int devices) {
        Region local = task.localRegion();
        int o = local == null ? -1 : ordinalOf(local.location());
        if (o >= 0) {
            return o;
        }
        BufferDescriptor b = task.remoteBuffer();
        o = b == null ? -1 : ordinalOf(b.name());
        return o >= 0 && o < devices ? o : 0;
    }

    /** Why a request's local buffer cannot be copied by CUDA (device memory of another kind), or null. */
    public static String notCudaLocal(TransferTask task) {
        Region local = task.localRegion();
        if (local != null && local.kind() == MemoryKind.DEVICE && ordinalOf(local.location()) < 0) {
            return "the local buffer is " + local.location() + " memory, not CUDA memory";
        }
        return null;
    }
}
