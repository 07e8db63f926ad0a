package io.mooncake.transport.nvlink;

import io.mooncake.device.cuda.CudaPeerTransport;
import io.mooncake.device.cuda.PeerMappings;
import io.mooncake.engine.memory.Region;
import io.mooncake.engine.metadata.BufferDescriptor;
import io.mooncake.engine.metadata.RemoteTarget;
import io.mooncake.engine.transport.Reach;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.jna.cuda.Cuda;
import io.mooncake.jna.cuda.CudaAbi;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * The nvlink transport (multi-node NVLink, MNNVL): GPU memory allocated with CUDA virtual memory
 * management ({@link VmmAllocator}, offered to the engine for {@code cuda:N}) and shared by
 * exported handles published in each buffer's {@code shm_name} as uppercase hex, as the reference
 * does; peers import and map each allocation once ({@link VmmImports}) and copy device to device
 * with {@code cuMemcpyAsync} on a stream pool (what nvlink_intra shares: {@link CudaPeerTransport}).
 *
 * <p>Handles: {@link VmmHandle.Kind#FABRIC} where the GPUs support fabric handles (an NVLink
 * domain: GB200 NVL72 and the like; {@code MC_FORCE_MNNVL}), readable by every process of the
 * domain and by reference nodes. Elsewhere (one host, fabric state N/A)
 * {@link VmmHandle.Kind#POSIX_FD}: the same VMM path with file-descriptor handles, taken from the
 * owner with {@code pidfd_getfd}, so the code runs on single-GPU machines; peers on other hosts
 * are then unreachable, and the reason names what is missing.
 *
 * <p>Memory the caller allocated itself (not through {@code allocateBuffer(..., "cuda:N")}) has no
 * exported handle: it is published without one and peers reach it over another transport.
 */
final class NvlinkTransport extends CudaPeerTransport {

    private static final Logger log = LoggerFactory.getLogger(NvlinkTransport.class);
    static final String PROTOCOL = "nvlink";
    static final String SIZE = "cuda_alloc_size";
    static final String HANDLE_TYPE = "nvlink_handle_type";
    private static final Profile PROFILE = new Profile(PROTOCOL, "mooncake-nvlink", CudaAbi.FABRIC_HANDLE_BYTES,
            "the peer published this buffer without an nvlink handle (host memory, or device memory it did "
                    + "not allocate for nvlink)",
            "cannot import the nvlink handle", "importedAllocations");

    private final VmmHandle.Kind kind;
    private final String noFabric;

    /**
     * @param noFabric why there is no fabric (what is missing), or {@code null} in fabric mode
     */
    NvlinkTransport(TransportContext context, Cuda cuda, int devices, VmmHandle.Kind kind, String noFabric,
            int streams, VmmImports.FdSource fds) {
        super(PROFILE, context, cuda, devices, streams, new PeerMappings<>(new VmmImports(cuda, fds)));
        this.kind = kind;
        this.noFabric = noFabric;
    }

    @Override
    public void start() {
        context.offerAllocator(new VmmAllocator(cuda, kind, devices));
        if (kind == VmmHandle.Kind.FABRIC) {
            log.info("nvlink: multi-node NVLink with fabric handles on {} GPU(s)", devices);
        } else {
            log.warn("nvlink: no multi-node NVLink fabric ({}); sharing GPU memory between processes of this host "
                    + "only, with POSIX file-descriptor handles", noFabric);
        }
    }

    @Override
    protected Published publish(Region region, int ordinal) {
        if (region.owner() instanceof VmmAllocator.Vmm v) {
            return new Published(v.exported.hex(), v.address(), v.size);
        }
        log.warn("{} was not allocated by the engine for nvlink (allocateBuffer(length, \"{}\")), so it has no "
                + "exportable handle; peers reach it over another transport", region, region.location());
        return null;
    }

    @Override
    protected void describeBuffer(Published p, Map<String, JsonNode> extra) {
        extra.put(SIZE, JsonNodeFactory.instance.numberNode(p.size()));
    }

    @Override
    protected void describeSegment(Map<String, JsonNode> extra) {
        extra.put(HANDLE_TYPE, JsonNodeFactory.instance.stringNode(kind.wire));
    }

    @Override
    protected Reach reachPeer(RemoteTarget target) {
        Map<String, JsonNode> extra = target.descriptor().extra();
        JsonNode type = extra.get(HANDLE_TYPE);
        JsonNode boot = extra.get(BOOT_ID);
        boolean sameHost = boot != null && bootId.equals(boot.asString(""));
        String peerKind = type == null ? (PROTOCOL.equals(target.descriptor().protocol()) ? "fabric" : null)
                : type.asString("");
        if (peerKind == null) {
            return Reach.none("peer publishes no nvlink handles (protocol '" + target.descriptor().protocol() + "')");
        }
        if (VmmHandle.Kind.POSIX_FD.wire.equals(peerKind)) {
            return sameHost ? Reach.of(Reach.SAME_HOST, "same host: VMM memory shared by file descriptor")
                    : Reach.none("peer shares GPU memory by file descriptor (it has no multi-node NVLink fabric), "
                            + "which reaches processes of its own host only");
        }
        if (kind != VmmHandle.Kind.FABRIC) {
            return Reach.none("peer shares GPU memory through a multi-node NVLink fabric and this node has none: "
                    + noFabric);
        }
        return Reach.of(sameHost ? Reach.SAME_HOST : Reach.FABRIC, "multi-node NVLink: fabric handles");
    }

    /** A fabric handle carries no size: the peer's {@code cuda_alloc_size}, else the buffer's end. */
    @Override
    protected long sizeHint(BufferDescriptor b, long allocBase) {
        JsonNode size = b.extra().get(SIZE);
        return size == null ? b.length() + (b.addr() - allocBase) : size.asLong();
    }

    @Override
    protected void statsOfMode(Map<String, Object> stats) {
        stats.put("handles", kind.wire);
        if (noFabric != null) {
            stats.put("noFabric", noFabric);
        }
    }
}
