package io.mooncake.transport.rdma;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.jna.verbs.RdmaVerbs;
import io.mooncake.jna.verbs.VerbsAbi;
import java.util.ArrayList;
import java.util.List;

/**
 * The RC queue pairs from one local NIC to one peer NIC (the reference's {@code RdmaEndPoint}):
 * {@code MC_NUM_QP_PER_EP} QPs, created in RESET and connected pairwise to the peer's QPs of the
 * same index with the reference's attributes: INIT with {@code MC_IB_PORT}, {@code MC_PKEY_INDEX}
 * and local write, remote read, write and atomic access; RTR with the path MTU ({@code MC_MTU}
 * capped by the port), the peer's GID (global routing, hop limit 16, {@code MC_GID_INDEX} as source
 * index, {@code MC_IB_TC}, {@code MC_IB_SL}), its LID and QP number, PSN 0, 16 outstanding reads,
 * RNR timer 12; RTS with timeout 14, retry count 7, RNR retry 7, PSN 0, 16 reads.
 *
 * <p>Connecting is serialised by the caller (one handshake per endpoint at a time); posting to a
 * QP is done by one thread at a time.
 */
public final class RdmaEndpoint implements AutoCloseable {

    /** Access rights a QP grants its peer (as the reference). */
    public static final int QP_ACCESS = VerbsAbi.IBV_ACCESS_LOCAL_WRITE | VerbsAbi.IBV_ACCESS_REMOTE_READ
            | VerbsAbi.IBV_ACCESS_REMOTE_WRITE | VerbsAbi.IBV_ACCESS_REMOTE_ATOMIC;

    private final RdmaNic nic;
    private final NicPath local;
    private final NicPath peer;
    private final RdmaSettings settings;
    private final List<RdmaVerbs.QueuePair> qps = new ArrayList<>();
    private volatile boolean connected;

    public RdmaEndpoint(RdmaNic nic, NicPath local, NicPath peer, RdmaSettings settings) {
        this.nic = nic;
        this.local = local;
        this.peer = peer;
        this.settings = settings;
        RdmaVerbs.QpCapabilities caps = new RdmaVerbs.QpCapabilities(nic.maxWr(), nic.maxWr(), nic.maxSge(),
                nic.maxSge(), settings.maxInline());
        try {
            for (int i = 0; i < settings.qpPerEndpoint(); i++) {
                qps.add(nic.pd().createRcQp(nic.cq(), caps));
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public RdmaNic nic() {
        return nic;
    }

    public NicPath local() {
        return local;
    }

    public NicPath peer() {
        return peer;
    }

    public boolean connected() {
        return connected;
    }

    public int qpCount() {
        return qps.size();
    }

    public RdmaVerbs.QueuePair qp(int index) {
        return qps.get(index);
    }

    /** This side's QP numbers, for the handshake's {@code qp_num}. */
    public List<Long> qpNums() {
        List<Long> n = new ArrayList<>(qps.size());
        for (RdmaVerbs.QueuePair qp : qps) {
            n.add(qp.qpNum() & 0xffff_ffffL);
        }
        return n;
    }

    /**
     * Connects each QP to the peer's QP of the same index (any state -> RESET -> INIT -> RTR -> RTS).
     *
     * @param peerGid the peer NIC's GID (its descriptor's {@code devices[].gid})
     * @param peerLid the peer NIC's LID
     * @param peerQpNums the peer's {@code qp_num}
     * @throws MooncakeException when the QP counts differ or a transition fails; the message is
     *         what a rejecting reply carries in {@code reply_msg}
     */
    public void connect(byte[] peerGid, int peerLid, List<Long> peerQpNums) {
        if (peerQpNums.size() != qps.size()) {
            throw new MooncakeException(ErrorCode.REJECT_HANDSHAKE, "QP count mismatch in peer and local endpoints ("
                    + peer + " has " + peerQpNums.size() + ", " + local + " has " + qps.size()
                    + "); set MC_NUM_QP_PER_EP alike on both nodes");
        }
        connected = false;
        for (int i = 0; i < qps.size(); i++) {
            RdmaVerbs.QueuePair qp = qps.get(i);
            qp.modifyToReset();
            qp.modifyToInit(nic.port(), settings.pkeyIndex(), QP_ACCESS);
            qp.modifyToRtr(new RdmaVerbs.RtrAttributes(nic.pathMtu(), (int) (long) peerQpNums.get(i), 0,
                    RdmaSettings.RD_ATOMIC, RdmaSettings.MIN_RNR_TIMER, peerGid, peerLid, nic.gid().index(),
                    RdmaSettings.HOP_LIMIT, Math.max(0, settings.trafficClass()), Math.max(0, settings.serviceLevel()),
                    nic.port()));
            qp.modifyToRts(new RdmaVerbs.RtsAttributes(RdmaSettings.QP_TIMEOUT, RdmaSettings.QP_RETRY_COUNT,
                    RdmaSettings.RNR_RETRY, 0, RdmaSettings.RD_ATOMIC));
        }
        connected = true;
    }

    /** Moves every QP to ERR, so outstanding work requests complete flushed. */
    public void fail() {
        connected = false;
        for (RdmaVerbs.QueuePair qp : qps) {
            try {
                qp.modifyToError();
            } catch (RuntimeException ignored) {
                // already unusable; its requests still complete flushed or on close
            }
        }
    }

    @Override
    public void close() {
        connected = false;
        for (RdmaVerbs.QueuePair qp : qps) {
            qp.close();
        }
        qps.clear();
    }

    @Override
    public String toString() {
        return "endpoint " + local + " -> " + peer + (connected ? "" : " (unconnected)");
    }
}
