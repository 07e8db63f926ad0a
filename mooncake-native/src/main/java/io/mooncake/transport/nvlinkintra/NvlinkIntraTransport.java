package io.mooncake.transport.nvlinkintra;

import io.mooncake.device.cuda.CudaCopier;
import io.mooncake.device.cuda.CudaPeerTransport;
import io.mooncake.device.cuda.PeerMappings;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.memory.Region;
import io.mooncake.engine.metadata.RemoteTarget;
import io.mooncake.engine.transport.Reach;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.jna.cuda.Cuda;
import io.mooncake.jna.cuda.CudaAbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * The nvlink_intra transport: GPU memory of processes on one host, copied device to device over
 * NVLink (or PCIe peer-to-peer, or within one GPU) with CUDA IPC, as the reference's intra-node
 * NVLink transport.
 *
 * <p>Registration: each remote-accessible {@code cuda:N} region gets the CUDA IPC handle
 * ({@code cuIpcGetMemHandle}) of its allocation's base, published in the buffer's {@code shm_name}
 * as 128 uppercase hex digits exactly as the reference does, with {@code name} = the location.
 * Java nodes also publish {@code cuda_base} (the allocation base, so a buffer registered inside an
 * allocation is addressed right; without it the buffer's {@code addr} is taken as the base, as the
 * reference does) and {@code nvlink_boot_id} (the host). Memory the driver cannot export (VMM
 * allocations) is published without a handle and peers reach it over another transport.
 *
 * <p>Requests: the peer's handle is opened once per (peer, allocation, local device) and cached
 * ({@link IpcMappings} in {@link PeerMappings}; closed when the peer is invalidated and no copy uses
 * it), and each slice
 * is one {@code cuMemcpyAsync} on a stream of a small pool ({@link CudaCopier}), so the copy engines
 * run several at once. Local memory may be {@code cuda:N} or host memory (the driver copies
 * host memory through its own staging). The target process takes no part. What nvlink shares:
 * {@link CudaPeerTransport}.
 */
final class NvlinkIntraTransport extends CudaPeerTransport {

    private static final Logger log = LoggerFactory.getLogger(NvlinkIntraTransport.class);
    static final String PROTOCOL = "nvlink_intra";
    private static final Profile PROFILE = new Profile(PROTOCOL, "mooncake-nvlink-intra", CudaAbi.IPC_HANDLE_BYTES,
            "the peer published this buffer without a CUDA IPC handle (host memory, or memory CUDA cannot "
                    + "export)",
            "cannot open the CUDA IPC handle", "openIpcMappings");

    NvlinkIntraTransport(TransportContext context, Cuda cuda, int devices, int streams) {
        super(PROFILE, context, cuda, devices, streams, new PeerMappings<>(new IpcMappings(cuda)));
    }

    @Override
    public void start() {
        log.info("nvlink_intra: CUDA IPC on {} GPU(s), {} copy streams per GPU", devices, copier.streams());
    }

    @Override
    protected Published publish(Region region, int ordinal) {
        try {
            Cuda.PointerInfo p = cuda.pointer(region.address());
            long base = p.rangeSize() > 0 ? p.rangeStart() : region.address();
            byte[] handle = cuda.ipcHandle(ordinal, base);
            return new Published(Cuda.toHex(handle), base, p.rangeSize());
        } catch (MooncakeException e) {
            log.warn("{} gets no CUDA IPC handle ({}); peers reach it over another transport", region,
                    e.getMessage());
            return null;
        }
    }

    @Override
    protected Reach reachPeer(RemoteTarget target) {
        JsonNode boot = target.descriptor().extra().get(BOOT_ID);
        if (boot != null) {
            return bootId.equals(boot.asString(""))
                    ? Reach.of(Reach.SAME_HOST, "same host: CUDA IPC handles, device-to-device copies")
                    : Reach.none("peer is on another host (CUDA IPC reaches processes of one host only)");
        }
        if (PROTOCOL.equals(target.descriptor().protocol())) {
            return Reach.of(Reach.SAME_HOST, "peer publishes nvlink_intra (a reference node: taken to be on this "
                    + "host, as the reference does)");
        }
        return Reach.none("peer publishes no CUDA IPC handles (protocol '" + target.descriptor().protocol() + "')");
    }
}
