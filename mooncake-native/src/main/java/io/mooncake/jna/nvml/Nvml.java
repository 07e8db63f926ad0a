package io.mooncake.jna.nvml;

import java.util.List;

/**
 * Facade of NVML for probes: one {@link #snapshot()} pairs {@code nvmlInit} with
 * {@code nvmlShutdown} and returns every fact the probes need. Implementations are thread-safe
 * and return NVML errors in {@link Snapshot#status()} instead of throwing.
 */
public interface Nvml {

    /** Reads GPUs, their NVLinks and fabric state. */
    Snapshot snapshot();

    /** {@code nvmlGpuFabricState_t}. */
    enum FabricState {
        NOT_SUPPORTED, NOT_STARTED, IN_PROGRESS, COMPLETED;

        /** The state of an NVML value; unknown values read as NOT_SUPPORTED. */
        public static FabricState of(int value) {
            return value >= 0 && value < values().length ? values()[value] : NOT_SUPPORTED;
        }
    }

    /**
     * A GPU's multi-node NVLink fabric membership.
     *
     * @param state registration state
     * @param status NVML return code of the registration (0 = success)
     * @param clusterUuid the fabric cluster, 32 hex digits
     * @param cliqueId the clique (NVLink domain partition) the GPU belongs to
     */
    record Fabric(FabricState state, int status, String clusterUuid, int cliqueId) {

        /** Not part of any fabric. */
        public static final Fabric NONE = new Fabric(FabricState.NOT_SUPPORTED, 0, "", 0);
    }

    /**
     * One NVLink of a GPU.
     *
     * @param link the link number
     * @param active whether the link is up
     * @param remotePciBusId the PCI address at the other end (a GPU or an NVSwitch), sysfs form
     */
    record NvLink(int link, boolean active, String remotePciBusId) {
    }

    /**
     * One GPU as NVML reports it.
     *
     * @param index NVML index (PCI bus order)
     * @param name product name
     * @param pciBusId PCI address, sysfs form ({@code 0000:1b:00.0})
     * @param fabric fabric membership ({@link Fabric#NONE} when unsupported)
     * @param links NVLinks that exist on the GPU
     */
    record Gpu(int index, String name, String pciBusId, Fabric fabric, List<NvLink> links) {

        public Gpu {
            links = List.copyOf(links);
        }
    }

    /**
     * Everything one NVML session saw.
     *
     * @param status 0, or the NVML code of the call that failed
     * @param error NVML's text for {@code status}
     * @param driverVersion the driver version, e.g. {@code 580.65.06}
     * @param gpus the GPUs
     */
    record Snapshot(int status, String error, String driverVersion, List<Gpu> gpus) {

        public Snapshot {
            gpus = List.copyOf(gpus);
        }

        /** Whether NVML answered without error. */
        public boolean ok() {
            return status == 0;
        }
    }
}
