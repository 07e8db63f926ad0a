package io.mooncake.probe;

import io.mooncake.engine.transport.Availability.Cause;
import io.mooncake.jna.nvml.Nvml;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Probe for NVIDIA multi-node NVLink (MNNVL): CUDA GPUs whose NVML fabric state is COMPLETED,
 * with their cluster and clique, and the IMEX channel that fabric memory handles need
 * ({@code /dev/nvidia-caps-imex-channels/channel0}).
 */
public final class MnnvlProbe extends AbstractProbe<MnnvlProbe.Member> {

    /** The probe. */
    public static final MnnvlProbe INSTANCE = new MnnvlProbe();

    /** The IMEX channel fabric handles are exported through. */
    static final String IMEX_CHANNEL = "/dev/nvidia-caps-imex-channels/channel0";

    /**
     * One GPU's fabric membership.
     *
     * @param location the GPU, {@code cuda:0}
     * @param pciAddress its PCI address
     * @param state NVML's fabric state
     * @param status NVML's code for the registration, 0 when it succeeded
     * @param clusterUuid the NVLink domain, 32 hex digits
     * @param cliqueId the clique inside the domain
     */
    public record Member(String location, String pciAddress, Nvml.FabricState state, int status, String clusterUuid,
            int cliqueId) {

        /** Whether the GPU completed fabric registration successfully. */
        public boolean registered() {
            return state == Nvml.FabricState.COMPLETED && status == 0;
        }

        /** Whether registration is under way or ended in an error (as opposed to no fabric at all). */
        boolean attempted() {
            return state != Nvml.FabricState.NOT_SUPPORTED && !registered();
        }
    }

    private MnnvlProbe() {
    }

    @Override
    public ProbeKind kind() {
        return ProbeKind.MNNVL;
    }

    @Override
    Scan<Member> doScan(ProbeContext ctx) {
        CudaProbe.GpuView view = CudaProbe.INSTANCE.inspect(ctx);
        ProbeResult cuda = view.scan().result();
        if (!cuda.available()) {
            return new Scan<>(ProbeResult.missing(kind(), cuda.cause(), "MNNVL needs usable CUDA GPUs: " + cuda.reason(),
                    cuda.fix(), cuda.details()), List.of());
        }
        List<Member> members = new ArrayList<>();
        Map<String, String> details = new LinkedHashMap<>();
        for (Accelerator gpu : view.scan().devices()) {
            Nvml.Fabric f = view.nvml().gpus().stream().filter(g -> g.pciBusId().equals(gpu.pciAddress()))
                    .map(Nvml.Gpu::fabric).findFirst().orElse(Nvml.Fabric.NONE);
            Member m = new Member(gpu.location(), gpu.pciAddress(), f.state(), f.status(), f.clusterUuid(),
                    f.cliqueId());
            members.add(m);
            details.put(gpu.location(), m.registered() ? "cluster " + m.clusterUuid() + ", clique " + m.cliqueId()
                    : "fabric " + f.state() + (f.status() != 0 ? " (status " + f.status() + ")" : ""));
        }
        List<Member> registered = members.stream().filter(Member::registered).toList();
        if (registered.isEmpty()) {
            return new Scan<>(members.stream().anyMatch(Member::attempted)
                    ? ProbeResult.missing(kind(), Cause.INIT_FAILED, "no GPU finished multi-node NVLink fabric "
                            + "registration (" + describe(members) + ")",
                            "check nvidia-fabricmanager and nvidia-imex on this node", details)
                    : ProbeResult.missing(kind(), Cause.NO_DEVICE, "no GPU belongs to a multi-node NVLink fabric ("
                            + describe(members) + ")", "MNNVL needs a GB200/GB300 NVL system (on other hosts use rdma)", details),
                    members);
        }
        Optional<ProbeResult> imex = Accelerators.checkFiles(ctx, kind(), List.of(IMEX_CHANNEL),
                "no IMEX channel, so fabric memory handles cannot be shared",
                "run nvidia-imex and create channel 0 (driver option NVreg_CreateImexChannel0=1)",
                "give this user access to " + IMEX_CHANNEL, details);
        if (imex.isPresent()) {
            ProbeResult r = imex.get();
            return new Scan<>(r.cause() == Cause.NO_DEVICE ? ProbeResult.missing(kind(), Cause.FEATURE_DISABLED,
                    r.reason(), r.fix(), details) : r, members);
        }
        return new Scan<>(ProbeResult.found(kind(), registered.size() + " GPU(s) in a multi-node NVLink fabric: "
                + describe(registered), details), members);
    }

    private static String describe(List<Member> members) {
        return String.join(", ", members.stream().map(m -> m.location() + " " + (m.registered() ? "clique "
                + m.cliqueId() : m.state() + (m.status() != 0 ? " status " + m.status() : ""))).toList());
    }
}
