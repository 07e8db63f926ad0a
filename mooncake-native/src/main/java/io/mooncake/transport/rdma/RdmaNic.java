package io.mooncake.transport.rdma;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.metadata.DeviceDescriptor;
import io.mooncake.jna.verbs.RdmaVerbs;
import io.mooncake.jna.verbs.VerbsAbi;
import io.mooncake.jna.verbs.VerbsException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One opened HCA as the transport uses it (the reference's {@code RdmaContext}): the device
 * context, its port ({@code MC_IB_PORT}, which must be ACTIVE), the chosen GID, the LID, the path
 * MTU, one protection domain and one completion queue, with the limits clamped to the device.
 *
 * <p>A NIC that fails is paused ({@link #pause}) for {@code MC_RDMA_RAIL_PAUSE_SECONDS} and left
 * out of NIC choice until then. Thread-safe.
 */
public final class RdmaNic implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RdmaNic.class);

    private final String name;
    private final RdmaVerbs.Context context;
    private final int port;
    private final int lid;
    private final int linkLayer;
    private final int pathMtu;
    private final GidSelector.Choice gid;
    private final RdmaVerbs.ProtectionDomain pd;
    private final RdmaVerbs.CompletionQueue cq;
    private final int maxWr;
    private final int maxSge;
    private final int cqDepth;
    private final long maxMrSize;
    private final AtomicLong pausedUntilNanos = new AtomicLong(Long.MIN_VALUE);

    private RdmaNic(String name, RdmaVerbs.Context context, int port, RdmaVerbs.PortAttributes portAttr,
            RdmaVerbs.DeviceAttributes dev, GidSelector.Choice gid, RdmaSettings s) {
        this.name = name;
        this.context = context;
        this.port = port;
        this.lid = portAttr.lid();
        this.linkLayer = portAttr.linkLayer();
        this.pathMtu = s.pathMtu(portAttr.activeMtu());
        this.gid = gid;
        this.maxWr = Math.min(s.maxWr(), dev.maxQpWr());
        this.maxSge = Math.min(s.maxSge(), dev.maxSge());
        this.cqDepth = Math.min(s.maxCqe(), dev.maxCqe());
        this.maxMrSize = Math.min(s.maxMrSize(), dev.maxMrSize());
        this.pd = context.allocPd();
        try {
            this.cq = context.createCq(cqDepth);
        } catch (RuntimeException e) {
            pd.close();
            throw e;
        }
    }

    /**
     * Opens a device and prepares it, or throws saying why it cannot be used.
     *
     * @param root file-system root for sysfs reads ({@code /} on a host)
     */
    public static RdmaNic open(RdmaVerbs verbs, String name, RdmaSettings s, Path root) {
        RdmaVerbs.Context ctx = verbs.open(name);
        try {
            RdmaVerbs.PortAttributes port = ctx.queryPort(s.port());
            if (!port.active()) {
                throw new VerbsException(ErrorCode.DEVICE_NOT_FOUND, "ibv_query_port(" + name + ", port " + s.port()
                        + ")", 0, "port state is " + port.state() + ", not ACTIVE (4); check the cable and "
                                + "'ibstat', or choose another port with MC_IB_PORT");
            }
            RdmaVerbs.DeviceAttributes dev = ctx.queryDevice();
            GidSelector.Choice gid = GidSelector.select(ctx, s.port(), port.gidTableLength(), s.gidIndex(), root);
            RdmaNic nic = new RdmaNic(name, ctx, s.port(), port, dev, gid, s);
            log.info("RDMA device {}: port {}, {}, LID {}, GID {} ({}), path MTU {} bytes, {} WRs per QP, CQ {} entries",
                    name, s.port(), port.linkLayer() == VerbsAbi.IBV_LINK_LAYER_ETHERNET ? "RoCE" : "InfiniBand",
                    port.lid(), gid.text(), gid.how(), 128 << nic.pathMtu, nic.maxWr, nic.cqDepth);
            return nic;
        } catch (RuntimeException e) {
            ctx.close();
            throw e;
        }
    }

    public String name() {
        return name;
    }

    public RdmaVerbs.Context context() {
        return context;
    }

    public int port() {
        return port;
    }

    public int lid() {
        return lid;
    }

    public int linkLayer() {
        return linkLayer;
    }

    /** {@code IBV_MTU_*} to use on paths from this NIC. */
    public int pathMtu() {
        return pathMtu;
    }

    public GidSelector.Choice gid() {
        return gid;
    }

    public RdmaVerbs.ProtectionDomain pd() {
        return pd;
    }

    public RdmaVerbs.CompletionQueue cq() {
        return cq;
    }

    /** Send queue depth per QP, {@code MC_MAX_WR} clamped to the device. */
    public int maxWr() {
        return maxWr;
    }

    public int maxSge() {
        return maxSge;
    }

    /** CQ entries, {@code MC_MAX_CQE_PER_CTX} clamped to the device: never more WRs than this are outstanding. */
    public int cqDepth() {
        return cqDepth;
    }

    /** Largest single memory region; longer buffers are registered in pieces. */
    public long maxMrSize() {
        return maxMrSize;
    }

    /** This NIC as a descriptor's {@code devices} entry. */
    public DeviceDescriptor descriptor() {
        return new DeviceDescriptor(name, lid, gid.text());
    }

    /** Leaves this NIC out of NIC choice until {@code untilNanos} ({@link System#nanoTime()} based). */
    public void pause(long untilNanos) {
        pausedUntilNanos.accumulateAndGet(untilNanos, Math::max);
    }

    /** Whether the NIC is paused at {@code nowNanos}. */
    public boolean paused(long nowNanos) {
        long until = pausedUntilNanos.get();
        return until != Long.MIN_VALUE && nowNanos - until < 0;
    }

    @Override
    public void close() {
        cq.close();
        pd.close();
        context.close();
    }

    @Override
    public String toString() {
        return "RDMA NIC " + name;
    }
}
