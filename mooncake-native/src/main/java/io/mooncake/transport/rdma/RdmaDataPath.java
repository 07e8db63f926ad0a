package io.mooncake.transport.rdma;

import static io.mooncake.jna.verbs.VerbsAbi.IBV_WC_RETRY_EXC_ERR;
import static io.mooncake.jna.verbs.VerbsAbi.IBV_WC_SUCCESS;
import static io.mooncake.jna.verbs.VerbsAbi.IBV_WC_WR_FLUSH_ERR;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.metadata.BufferDescriptor;
import io.mooncake.engine.metadata.DeviceDescriptor;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.jna.verbs.Completions;
import io.mooncake.jna.verbs.SendBatch;
import io.mooncake.topology.Topology;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The rdma data path: moves the slices of requests with one-sided RDMA WRITE and READ over the
 * local NICs, independent of how the engine hands it work.
 *
 * <p><b>NIC choice.</b> For each request the local NICs are ranked by the local priority matrix
 * for the location of the local memory (preferred, then available; NICs not in the entry last),
 * leaving out paused NICs. The request's slices are striped over the preferred NICs that are not
 * paused (slice {@code k} to NIC {@code k mod m}); local NIC {@code w} of the stripe talks to the
 * peer NIC {@code peerOrder[w mod p]}, where {@code peerOrder} ranks the peer's NICs by the peer's
 * matrix for the remote buffer's location (its {@code p} preferred ones first), and uses the keys
 * of those NICs ({@code lkey[]}, {@code rkey[]}).
 *
 * <p><b>Threads.</b> One worker thread per NIC owns that NIC's completion queue, a table of
 * in-flight slots ({@code MC_MAX_CQE_PER_CTX}, so the CQ cannot overflow) and the send queues of
 * its endpoints ({@code MC_MAX_WR} per QP). Submitting threads hand a request's share to a worker
 * through a lock-free queue (one object per request and NIC, none per slice); the worker posts
 * batches of up to 32 work requests per {@code ibv_post_send}, polls up to 64 completions per
 * {@code ibv_poll_cq}, and matches each completion to its slot by {@code wr_id}. Posting, polling
 * and matching take no lock and allocate nothing. Handshakes run on the connector executor, never
 * on a worker.
 *
 * <p><b>Failures.</b> A completion error other than a local or remote access error pauses the
 * NIC for {@code MC_RDMA_RAIL_PAUSE_SECONDS} (paused NICs are skipped by new requests and retried
 * when the pause ends) and retries the slice on another NIC, up to {@code MC_RETRY_CNT} times; the
 * endpoint is reconnected once its outstanding requests have drained. Access errors fail the slice
 * at once. A failed handshake fails or reroutes the slices that waited for it. Every slice ends
 * exactly once through its {@link SliceListener}; {@link #abort} ends the slices of a request that
 * were not yet posted, and posted ones end when the hardware completes them (an RC QP always
 * completes a request, with an error after its retry timeout at worst). {@link #close} moves every
 * QP to ERR so outstanding requests flush, and fails whatever remains.
 */
public final class RdmaDataPath implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RdmaDataPath.class);

    static final int POST_BATCH = 32;
    static final int POLL_BATCH = 64;

    /** Status of a local protection error ({@code IBV_WC_LOC_PROT_ERR}) and other non-retriable ones. */
    static final int WC_LOC_LEN_ERR = 1;
    static final int WC_LOC_PROT_ERR = 4;
    static final int WC_REM_INV_REQ_ERR = 9;
    static final int WC_REM_ACCESS_ERR = 10;

    /** The engine's side of a handshake and of peer metadata. */
    public interface Peers {

        /** Sends a Connection request to the peer segment's handshake server; returns the reply body. May block. */
        JsonNode connect(String peerSegment, ObjectNode request);

        /** The peer's descriptor (cached by the engine). */
        SegmentDescriptor descriptor(String peerSegment);
    }

    private final String localSegment;
    private final List<RdmaNic> nics;
    private final Map<String, Integer> nicIndex = new HashMap<>();
    private final Topology topology;
    private final RdmaSettings settings;
    private final Peers peers;
    private final LongSupplier clock;
    private final Executor connector;
    private final Worker[] workers;
    private final long pauseNanos;
    private final LongAdder retried = new LongAdder();
    private final LongAdder pausedCount = new LongAdder();
    private volatile boolean closed;

    /**
     * @param localSegment this node's segment name (the first half of its NIC paths)
     * @param nics opened NICs, in the order of the descriptor's {@code devices}
     * @param topology the local priority matrix
     * @param clock nanosecond clock for NIC pauses ({@link System#nanoTime} outside tests)
     * @param connector runs handshakes (they block on the network)
     */
    public RdmaDataPath(String localSegment, List<RdmaNic> nics, Topology topology, RdmaSettings settings, Peers peers,
            LongSupplier clock, Executor connector) {
        if (nics.isEmpty() || nics.size() > 64) {
            throw new IllegalArgumentException("1 to 64 NICs, not " + nics.size());
        }
        this.localSegment = localSegment;
        this.nics = List.copyOf(nics);
        for (int i = 0; i < nics.size(); i++) {
            nicIndex.put(nics.get(i).name(), i);
        }
        this.topology = topology;
        this.settings = settings;
        this.peers = peers;
        this.clock = clock;
        this.connector = connector;
        this.pauseNanos = settings.railPauseSeconds() * 1_000_000_000L;
        this.workers = new Worker[nics.size()];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i, nics.get(i));
        }
    }

    /** Starts one worker thread per NIC. */
    public void start() {
        for (Worker w : workers) {
            Thread t = new Thread(w, "mooncake-rdma-" + w.nic.name());
            t.setDaemon(true);
            w.thread = t;
            t.start();
        }
    }

    /** The local NICs, in {@code devices} order. */
    public List<RdmaNic> nics() {
        return nics;
    }

    /** Slices retried on another NIC so far. */
    public long retried() {
        return retried.sum();
    }

    /** Ids of the worker threads (allocation tests). */
    long[] workerThreadIds() {
        long[] ids = new long[workers.length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = workers[i].thread.getId();
        }
        return ids;
    }

    /** NIC pauses so far. */
    public long pauses() {
        return pausedCount.sum();
    }

    /**
     * One request to move: the local range (registered on every local NIC, {@code lkeys} in NIC
     * order), the peer's buffer (with one rkey per peer device) and how it is sliced.
     */
    public static final class Request {
        final SliceListener listener;
        final int opcode;
        final long localAddr;
        final long remoteAddr;
        final Slices slices;
        final long[] lkeys;
        final long[] rkeys;
        final String peerSegment;
        final List<DeviceDescriptor> peerDevices;
        final int[] peerOrder;
        final int peerPreferred;
        final int[] nicOrder;
        final int nicPreferred;
        volatile boolean aborted;

        Request(SliceListener listener, int opcode, long localAddr, long remoteAddr, Slices slices, long[] lkeys,
                long[] rkeys, String peerSegment, List<DeviceDescriptor> peerDevices, int[] peerOrder, int peerPreferred,
                int[] nicOrder, int nicPreferred) {
            this.listener = listener;
            this.opcode = opcode;
            this.localAddr = localAddr;
            this.remoteAddr = remoteAddr;
            this.slices = slices;
            this.lkeys = lkeys;
            this.rkeys = rkeys;
            this.peerSegment = peerSegment;
            this.peerDevices = peerDevices;
            this.peerOrder = peerOrder;
            this.peerPreferred = peerPreferred;
            this.nicOrder = nicOrder;
            this.nicPreferred = nicPreferred;
        }
    }

    /**
     * Builds a request (on the caller's thread; checks only what the engine has not).
     *
     * @param opcode {@code IBV_WR_RDMA_WRITE} or {@code IBV_WR_RDMA_READ}
     * @param localLocation location of the local memory ({@code cpu:0}, {@code cuda:1}) for NIC choice
     * @param lkeys local key of the local region on each local NIC
     * @param peer the peer's descriptor; {@code remoteBuffer} one of its buffers holding the range
     */
    public Request request(SliceListener listener, int opcode, long localAddr, String localLocation, long[] lkeys,
            SegmentDescriptor peer, BufferDescriptor remoteBuffer, long remoteAddr, Slices slices) {
        if (lkeys.length != nics.size()) {
            throw new IllegalArgumentException(lkeys.length + " lkeys for " + nics.size() + " NICs");
        }
        // the full check (GIDs parse, key counts) ran when the route was chosen (RdmaTransport.reach);
        // here only what indexing the keys needs
        if (peer.devices().isEmpty() || remoteBuffer.rkey().size() != peer.devices().size()) {
            throw new MooncakeException(ErrorCode.METADATA, "segment " + peer.name() + " buffer at 0x"
                    + Long.toHexString(remoteBuffer.addr()) + " has " + remoteBuffer.rkey().size() + " rkey(s) for "
                    + peer.devices().size() + " RDMA device(s)");
        }
        int[] peerOrder = RdmaDescriptors.peerDevices(peer, remoteBuffer.name());
        List<List<String>> tiers = peer.priorityMatrix().get(remoteBuffer.name());
        int peerPreferred = tiers == null || tiers.isEmpty() ? peerOrder.length
                : Math.max(1, Math.min(peerOrder.length, (int) tiers.get(0).stream()
                        .filter(n -> RdmaDescriptors.deviceIndex(peer, n) >= 0).count()));
        long[] rkeys = new long[peer.devices().size()];
        for (int i = 0; i < rkeys.length; i++) {
            rkeys[i] = remoteBuffer.rkey().get(i);
        }
        List<Integer> order = new ArrayList<>();
        int preferred = 0;
        Topology.Entry e = topology.entry(localLocation);
        if (e != null) {
            for (String n : e.preferred()) {
                Integer i = nicIndex.get(n);
                if (i != null && !order.contains(i)) {
                    order.add(i);
                    preferred++;
                }
            }
            for (String n : e.available()) {
                Integer i = nicIndex.get(n);
                if (i != null && !order.contains(i)) {
                    order.add(i);
                }
            }
        }
        for (int i = 0; i < nics.size(); i++) {
            if (!order.contains(i)) {
                order.add(i);
            }
        }
        if (preferred == 0) {
            preferred = order.size();
        }
        return new Request(listener, opcode, localAddr, remoteAddr, slices, lkeys.clone(), rkeys, peer.name(),
                peer.devices(), peerOrder, peerPreferred, order.stream().mapToInt(Integer::intValue).toArray(), preferred);
    }

    /** Starts moving a request; never blocks. Slices end through the request's listener. */
    public void submit(Request r) {
        if (closed) {
            failAll(r, "rdma transport is closed");
            return;
        }
        long now = clock.getAsLong();
        int[] stripe = new int[r.nicOrder.length];
        int m = 0;
        for (int i = 0; i < r.nicPreferred; i++) {
            if (!nics.get(r.nicOrder[i]).paused(now)) {
                stripe[m++] = r.nicOrder[i];
            }
        }
        for (int i = r.nicPreferred; m == 0 && i < r.nicOrder.length; i++) {
            if (!nics.get(r.nicOrder[i]).paused(now)) {
                stripe[m++] = r.nicOrder[i]; // preferred NICs all paused: the first available one
            }
        }
        if (m == 0) {
            failAll(r, "every local RDMA NIC is paused after errors (for up to " + settings.railPauseSeconds()
                    + " s, MC_RDMA_RAIL_PAUSE_SECONDS)");
            return;
        }
        int count = r.slices.sliceCount();
        int shares = Math.min(m, count);
        for (int w = 0; w < shares; w++) {
            int nic = stripe[w];
            int peerDev = r.peerOrder[w % r.peerPreferred];
            workers[nic].offer(new Share(r, w, shares, peerDev));
        }
    }

    /** Ends the request's slices that are not posted yet (FAILED, "canceled"); posted ones end on completion. */
    public void abort(Request r) {
        r.aborted = true;
        for (Worker w : workers) {
            w.wake();
        }
    }

    private static void failAll(Request r, String reason) {
        for (int k = 0; k < r.slices.sliceCount(); k++) {
            r.listener.sliceFailed(k, false, reason);
        }
    }

    // ---- passive side of the handshake

    /**
     * Answers a Connection request addressed to one of this node's NICs (called on a handshake
     * server thread): connects an endpoint to the requester's QPs and returns this side's QP
     * numbers, or a rejection whose {@code reply_msg} says why, as the reference does.
     */
    public ObjectNode answer(JsonNode body) {
        RdmaHandshake req;
        try {
            req = RdmaHandshake.fromJson(body, "a Connection request");
        } catch (MooncakeException e) {
            return RdmaHandshake.reject("", "", e.getMessage()).toJson();
        }
        NicPath mine;
        NicPath theirs;
        try {
            mine = NicPath.parse(req.peerNicPath(), "peer_nic_path");
            theirs = NicPath.parse(req.localNicPath(), "local_nic_path");
        } catch (MooncakeException e) {
            return RdmaHandshake.reject("", req.localNicPath(), e.getMessage()).toJson();
        }
        Integer nic = nicIndex.get(mine.device());
        if (!mine.segment().equals(localSegment) || nic == null) {
            return RdmaHandshake.reject(req.peerNicPath(), req.localNicPath(), "Invalid argument: peer nic path "
                    + "inconsistency, " + mine + " is not a NIC of " + localSegment + " (it has " + nicIndex.keySet()
                    + ")").toJson();
        }
        try {
            byte[] gid;
            int lid;
            if (!req.localGid().isEmpty()) {
                // a Java peer says where it is; a reference peer leaves it to its descriptor
                gid = Gid.parse(req.localGid(), "the Connection request of " + theirs);
                lid = req.localLid();
            } else {
                SegmentDescriptor d;
                String unknown;
                try {
                    d = peers.descriptor(theirs.segment());
                    unknown = d == null ? "its segment is not open on " + localSegment : null;
                } catch (RuntimeException e) {
                    d = null;
                    unknown = "cannot fetch its descriptor: " + e.getMessage();
                }
                int dev = d == null ? -1 : RdmaDescriptors.deviceIndex(d, theirs.device());
                if (dev < 0) {
                    return RdmaHandshake.reject(mine.toString(), theirs.toString(), "Peer nic not found in that server: "
                            + theirs + (unknown == null ? "" : " (" + unknown + ")")).toJson();
                }
                DeviceDescriptor pd = d.devices().get(dev);
                gid = Gid.parse(pd.gid(), "segment " + theirs.segment() + " device " + pd.name());
                lid = pd.lid();
            }
            Worker w = workers[nic];
            RdmaEndpoint ep = new RdmaEndpoint(w.nic, mine, theirs, settings);
            try {
                ep.connect(gid, lid, req.qpNums());
            } catch (RuntimeException e) {
                ep.close();
                throw e;
            }
            w.link(theirs).publish(new Conn(ep), "passive");
            w.wake();
            log.debug("Connected {} to {} on request ({} QPs)", mine, theirs, ep.qpCount());
            return RdmaHandshake.accept(mine, theirs, ep.qpNums()).toJson();
        } catch (RuntimeException e) {
            log.warn("Rejected Connection request from {} to {}: {}", theirs, mine, e.getMessage());
            return RdmaHandshake.reject(mine.toString(), theirs.toString(), e.getMessage()).toJson();
        }
    }

    // ---- active side

    private void connectActive(Worker w, Link link) {
        NicPath local = new NicPath(localSegment, w.nic.name());
        NicPath peer = link.peer;
        RdmaEndpoint ep = null;
        try {
            ep = new RdmaEndpoint(w.nic, local, peer, settings);
            if (peer.equals(local)) {
                ep.connect(w.nic.gid().gid(), w.nic.lid(), ep.qpNums()); // loopback, as the reference: no handshake
            } else {
                RdmaHandshake request = RdmaHandshake.request(local, peer, ep.qpNums())
                        .withLocalAddress(w.nic.gid().text(), w.nic.lid());
                RdmaHandshake reply = RdmaHandshake.fromJson(peers.connect(peer.segment(), request.toJson()),
                        peer.segment());
                if (reply.rejected()) {
                    throw new MooncakeException(ErrorCode.REJECT_HANDSHAKE, "peer " + peer + " rejected the connection: "
                            + reply.replyMsg());
                }
                if (!reply.localNicPath().equals(peer.toString()) || !reply.peerNicPath().equals(local.toString())) {
                    throw new MooncakeException(ErrorCode.REJECT_HANDSHAKE, "handshake reply mismatch: asked "
                            + local + " -> " + peer + ", got " + reply.peerNicPath() + " -> " + reply.localNicPath());
                }
                SegmentDescriptor d = peers.descriptor(peer.segment());
                int dev = d == null ? -1 : RdmaDescriptors.deviceIndex(d, peer.device());
                if (dev < 0) {
                    throw new MooncakeException(ErrorCode.DEVICE_NOT_FOUND, "peer NIC " + peer.device()
                            + " is not in the descriptor of " + peer.segment());
                }
                DeviceDescriptor pd = d.devices().get(dev);
                ep.connect(Gid.parse(pd.gid(), "segment " + peer.segment() + " device " + pd.name()), pd.lid(),
                        reply.qpNums());
            }
            link.publish(new Conn(ep), "active");
            log.debug("Connected {} to {} ({} QPs)", local, peer, ep.qpCount());
        } catch (RuntimeException e) {
            if (ep != null) {
                ep.close();
            }
            log.warn("RDMA connection {} -> {} failed: {}", local, peer, e.getMessage());
            link.connectFailed(e.getMessage(), clock.getAsLong() + Math.max(pauseNanos, 1_000_000_000L));
        } finally {
            w.wake();
        }
    }

    // ---- per-NIC state

    /** One connection's QPs and, for the worker only, their outstanding counts. */
    static final class Conn {
        final RdmaEndpoint ep;
        final int[] outstanding;
        int total;
        int nextQp;
        volatile boolean broken;

        Conn(RdmaEndpoint ep) {
            this.ep = ep;
            this.outstanding = new int[ep.qpCount()];
        }
    }

    /** The local NIC's connection to one peer NIC. */
    static final class Link {
        static final int IDLE = 0;
        static final int CONNECTING = 1;
        final NicPath peer;
        final AtomicInteger state = new AtomicInteger(IDLE);
        volatile Conn conn;
        volatile String failure;
        volatile long failedUntil;
        final ConcurrentLinkedQueue<Conn> retired = new ConcurrentLinkedQueue<>(); // closed by the worker once drained

        Link(NicPath peer) {
            this.peer = peer;
        }

        synchronized void publish(Conn c, String how) {
            Conn old = conn;
            conn = c;
            failure = null;
            state.set(IDLE);
            if (old != null && old != c) {
                old.broken = true;
                old.ep.fail(); // its outstanding requests flush and are retried
                retired.add(old);
            }
        }

        void connectFailed(String why, long until) {
            failure = why;
            failedUntil = until;
            state.set(IDLE);
        }
    }

    /** A request's slices handled by one NIC: slices {@code first, first + stride, ...}. */
    static final class Share {
        final Request r;
        final int stride;
        final int peerDev;
        Link link;
        int next;

        Share(Request r, int first, int stride, int peerDev) {
            this.r = r;
            this.next = first;
            this.stride = stride;
            this.peerDev = peerDev;
        }
    }

    /** A slice to post again on another NIC (cold path). */
    record Retry(Request r, int slice, int attempts, long tried, int peerDev) {
    }

    final class Worker implements Runnable {
        final int index;
        final RdmaNic nic;
        final ConcurrentLinkedQueue<Object> inbox = new ConcurrentLinkedQueue<>();
        final ConcurrentHashMap<NicPath, Link> links = new ConcurrentHashMap<>();
        final ArrayDeque<Share> active = new ArrayDeque<>();
        final ArrayDeque<Retry> retries = new ArrayDeque<>();
        final SendBatch batch;
        final Completions done;
        // in-flight slots, indexed by wr_id
        final int capacity;
        final Request[] slotRequest;
        final int[] slotSlice;
        final int[] slotAttempts;
        final long[] slotTried;
        final int[] slotPeerDev;
        final Conn[] slotConn;
        final int[] slotQp;
        final int[] free;
        int freeTop;
        int outstanding;
        volatile Thread thread;

        Worker(int index, RdmaNic nic) {
            this.index = index;
            this.nic = nic;
            this.batch = nic.context().newSendBatch(POST_BATCH);
            this.done = nic.context().newCompletions(POLL_BATCH);
            this.capacity = nic.cqDepth();
            slotRequest = new Request[capacity];
            slotSlice = new int[capacity];
            slotAttempts = new int[capacity];
            slotTried = new long[capacity];
            slotPeerDev = new int[capacity];
            slotConn = new Conn[capacity];
            slotQp = new int[capacity];
            free = new int[capacity];
            for (int i = 0; i < capacity; i++) {
                free[i] = capacity - 1 - i;
            }
            freeTop = capacity;
        }

        void offer(Object work) {
            inbox.offer(work);
            wake();
        }

        void wake() {
            Thread t = thread;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }

        Link link(NicPath peer) {
            Link l = links.get(peer);
            if (l == null) {
                l = links.computeIfAbsent(peer, Link::new);
            }
            return l;
        }

        @Override
        public void run() {
            int idle = 0;
            while (!closed) {
                boolean worked = drainInbox() | postAll() | poll();
                if (worked) {
                    idle = 0;
                } else if (++idle < 1000) {
                    Thread.onSpinWait();
                } else {
                    if (idle == 1000) {
                        sweep();
                    }
                    if (outstanding > 0) {
                        nic.cq().await(1);
                    } else {
                        LockSupport.parkNanos(1_000_000L);
                    }
                }
            }
            shutdown();
        }

        boolean drainInbox() {
            boolean any = false;
            Object o;
            while ((o = inbox.poll()) != null) {
                any = true;
                if (o instanceof Share s) {
                    active.addLast(s);
                } else {
                    retries.addLast((Retry) o);
                }
            }
            return any;
        }

        Link link(Request r, int peerDev) {
            return link(new NicPath(r.peerSegment, r.peerDevices.get(peerDev).name()));
        }

        /** The usable connection over a link, starting a handshake when there is none; null when not (yet) usable. */
        Conn conn(Link link, long now) {
            Conn c = link.conn;
            if (c != null && !c.broken) {
                return c;
            }
            if (c != null && c.total > 0) {
                return null; // broken: wait until its requests have drained, then reconnect
            }
            if (link.failure != null && now - link.failedUntil < 0) {
                return null;
            }
            if (link.state.compareAndSet(Link.IDLE, Link.CONNECTING)) {
                if (c != null) {
                    link.conn = null;
                    link.retired.add(c);
                }
                link.failure = null;
                connector.execute(() -> connectActive(this, link));
            }
            return null;
        }

        boolean postAll() {
            boolean any = false;
            long now = clock.getAsLong();
            for (int n = retries.size(); n > 0 && freeTop > 0; n--) {
                Retry t = retries.pollFirst();
                if (t.r.aborted) {
                    t.r.listener.sliceFailed(t.slice, false, "canceled");
                    any = true;
                    continue;
                }
                Conn c = conn(link(t.r, t.peerDev), now);
                if (c == null) {
                    if (linkFailure(t.r, t.peerDev) != null) {
                        reroute(t.r, t.slice, t.attempts + 1, t.tried, "connection failed: " + linkFailure(t.r, t.peerDev));
                    } else {
                        retries.addLast(t);
                    }
                    continue;
                }
                int qp = pickQp(c);
                if (qp < 0) {
                    retries.addLast(t);
                    continue;
                }
                batch.clear();
                addSlot(t.r, t.slice, t.attempts, t.tried, t.peerDev, c, qp);
                post(c, qp);
                any = true;
            }
            for (int n = active.size(); n > 0 && freeTop > 0; n--) {
                Share s = active.pollFirst();
                Request r = s.r;
                int count = r.slices.sliceCount();
                if (r.aborted) {
                    for (; s.next < count; s.next += s.stride) {
                        r.listener.sliceFailed(s.next, false, "canceled");
                    }
                    any = true;
                    continue;
                }
                if (s.link == null) {
                    s.link = link(r, s.peerDev);
                }
                Conn c = conn(s.link, now);
                if (c == null) {
                    String why = s.link.failure;
                    if (why != null) {
                        for (; s.next < count; s.next += s.stride) {
                            reroute(r, s.next, 1, 1L << index, "connection failed: " + why);
                        }
                        any = true;
                    } else {
                        active.addLast(s);
                    }
                    continue;
                }
                int qp = pickQp(c);
                if (qp >= 0) {
                    batch.clear();
                    int room = Math.min(POST_BATCH, nic.maxWr() - c.outstanding[qp]);
                    while (s.next < count && freeTop > 0 && batch.size() < room) {
                        addSlot(r, s.next, 0, 1L << index, s.peerDev, c, qp);
                        s.next += s.stride;
                    }
                    post(c, qp);
                    any = true;
                }
                if (s.next < count) {
                    active.addLast(s);
                }
            }
            return any;
        }

        private String linkFailure(Request r, int peerDev) {
            Link l = links.get(new NicPath(r.peerSegment, r.peerDevices.get(peerDev).name()));
            return l == null ? null : l.failure;
        }

        private int pickQp(Conn c) {
            int n = c.outstanding.length;
            for (int i = 0; i < n; i++) {
                int q = (c.nextQp + i) % n;
                if (c.outstanding[q] < nic.maxWr()) {
                    c.nextQp = q + 1;
                    return q;
                }
            }
            return -1;
        }

        private void addSlot(Request r, int slice, int attempts, long tried, int peerDev, Conn c, int qp) {
            int slot = free[--freeTop];
            slotRequest[slot] = r;
            slotSlice[slot] = slice;
            slotAttempts[slot] = attempts;
            slotTried[slot] = tried;
            slotPeerDev[slot] = peerDev;
            slotConn[slot] = c;
            slotQp[slot] = qp;
            batch.add(slot, r.opcode, r.localAddr + r.slices.sliceOffset(slice), r.slices.sliceLength(slice),
                    (int) r.lkeys[index], r.remoteAddr + r.slices.sliceOffset(slice), (int) r.rkeys[peerDev]);
        }

        private void post(Conn c, int qp) {
            int n = batch.size();
            if (n == 0) {
                return;
            }
            int rc = c.ep.qp(qp).post(batch);
            int posted = rc == 0 ? n : Math.max(0, batch.firstFailed());
            c.outstanding[qp] += posted;
            c.total += posted;
            outstanding += posted;
            for (int i = posted; i < n; i++) {
                int slot = (int) batch.wrId(i);
                Request r = slotRequest[slot];
                int slice = slotSlice[slot];
                long tried = slotTried[slot];
                int attempts = slotAttempts[slot];
                release(slot);
                reroute(r, slice, attempts + 1, tried, "ibv_post_send failed: errno " + rc);
            }
            if (rc != 0) {
                c.broken = true;
            }
        }

        private void release(int slot) {
            slotRequest[slot] = null;
            slotConn[slot] = null;
            free[freeTop++] = slot;
        }

        boolean poll() {
            if (outstanding == 0) {
                return false;
            }
            int n = nic.cq().poll(done);
            if (n < 0) {
                log.error("ibv_poll_cq on {} failed: {}", nic.name(), n);
                return false;
            }
            for (int i = 0; i < n; i++) {
                int slot = (int) done.wrId(i);
                int status = done.status(i);
                Request r = slotRequest[slot];
                int slice = slotSlice[slot];
                Conn c = slotConn[slot];
                int qp = slotQp[slot];
                int attempts = slotAttempts[slot];
                long tried = slotTried[slot];
                c.outstanding[qp]--;
                c.total--;
                outstanding--;
                release(slot);
                if (status == IBV_WC_SUCCESS) {
                    r.listener.sliceCompleted(slice, r.slices.sliceLength(slice));
                } else {
                    failed(r, slice, attempts, tried, c, status);
                }
                if (c.broken && c.total == 0) {
                    sweep();
                }
            }
            return n > 0;
        }

        private void failed(Request r, int slice, int attempts, long tried, Conn c, int status) {
            c.broken = true;
            String what = "work completion status " + status + " on " + nic.name() + " -> " + c.ep.peer();
            if (status == WC_REM_ACCESS_ERR || status == WC_LOC_PROT_ERR || status == WC_LOC_LEN_ERR
                    || status == WC_REM_INV_REQ_ERR) {
                r.listener.sliceFailed(slice, true, what + " (access error: the key or range is not registered for this "
                        + "access on the peer)");
                return;
            }
            if (status != IBV_WC_WR_FLUSH_ERR) {
                pause(c, what);
            }
            if (r.aborted) {
                r.listener.sliceFailed(slice, false, what + " (canceled)");
                return;
            }
            reroute(r, slice, attempts + 1, tried, what);
        }

        /**
         * A path error: when the local port is no longer ACTIVE the NIC itself is paused (every
         * request avoids it); otherwise only this rail, the pair of this NIC and the peer NIC, is
         * (the peer or the path to it failed, and other peers stay reachable through this NIC).
         */
        private void pause(Conn c, String why) {
            long now = clock.getAsLong();
            if (pauseNanos <= 0 || nic.paused(now)) {
                return;
            }
            boolean portDown;
            try {
                portDown = !nic.context().queryPort(nic.port()).active();
            } catch (RuntimeException e) {
                portDown = true;
            }
            pausedCount.increment();
            if (portDown) {
                nic.pause(now + pauseNanos);
                log.warn("RDMA NIC {} paused for {} s (MC_RDMA_RAIL_PAUSE_SECONDS), its port is not ACTIVE: {}",
                        nic.name(), settings.railPauseSeconds(), why);
                return;
            }
            Link l = links.get(c.ep.peer());
            if (l != null && l.failure == null) {
                l.connectFailed("rail paused after " + why, now + pauseNanos);
                log.warn("RDMA rail {} -> {} paused for {} s (MC_RDMA_RAIL_PAUSE_SECONDS): {}", nic.name(),
                        c.ep.peer(), settings.railPauseSeconds(), why);
            }
        }

        private void sweep() {
            for (Link l : links.values()) {
                l.retired.removeIf(c -> {
                    if (c.total == 0) {
                        c.ep.close();
                        return true;
                    }
                    return false;
                });
            }
        }

        private void shutdown() {
            for (Link l : links.values()) {
                Conn c = l.conn;
                if (c != null) {
                    c.ep.fail();
                }
                for (Conn old : l.retired) {
                    old.ep.fail();
                }
            }
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (outstanding > 0 && System.nanoTime() < deadline) {
                if (!poll()) {
                    nic.cq().await(10);
                }
            }
            for (int slot = 0; slot < capacity; slot++) {
                if (slotRequest[slot] != null) {
                    Request r = slotRequest[slot];
                    int slice = slotSlice[slot];
                    release(slot);
                    r.listener.sliceFailed(slice, false, "rdma transport closed");
                }
            }
            Share s;
            while ((s = active.pollFirst()) != null) {
                for (; s.next < s.r.slices.sliceCount(); s.next += s.stride) {
                    s.r.listener.sliceFailed(s.next, false, "rdma transport closed");
                }
            }
            Retry t;
            while ((t = retries.pollFirst()) != null) {
                t.r.listener.sliceFailed(t.slice, false, "rdma transport closed");
            }
            Object o;
            while ((o = inbox.poll()) != null) {
                if (o instanceof Share sh) {
                    for (; sh.next < sh.r.slices.sliceCount(); sh.next += sh.stride) {
                        sh.r.listener.sliceFailed(sh.next, false, "rdma transport closed");
                    }
                } else {
                    Retry rt = (Retry) o;
                    rt.r.listener.sliceFailed(rt.slice, false, "rdma transport closed");
                }
            }
            for (Link l : links.values()) {
                Conn c = l.conn;
                if (c != null) {
                    c.ep.close();
                }
                for (Conn old : l.retired) {
                    old.ep.close();
                }
            }
        }
    }

    /** Sends a failed slice to another NIC (or the same one when no other is left), or fails it. */
    private void reroute(Request r, int slice, int attempts, long tried, String why) {
        if (closed) {
            r.listener.sliceFailed(slice, false, "rdma transport closed after: " + why);
            return;
        }
        if (r.aborted) {
            r.listener.sliceFailed(slice, false, why + " (canceled)");
            return;
        }
        if (attempts > settings.sliceRetries()) {
            r.listener.sliceFailed(slice, false, why + " (gave up after " + (attempts - 1) + " retries, MC_RETRY_CNT="
                    + settings.sliceRetries() + ")");
            return;
        }
        long now = clock.getAsLong();
        int target = -1;
        for (int nic : r.nicOrder) {
            if ((tried & (1L << nic)) == 0 && !nics.get(nic).paused(now)) {
                target = nic;
                break;
            }
        }
        if (target < 0) {
            for (int nic : r.nicOrder) {
                if (!nics.get(nic).paused(now)) {
                    target = nic;
                    break;
                }
            }
        }
        if (target < 0) {
            r.listener.sliceFailed(slice, false, why + "; no other RDMA NIC is usable (all paused, MC_RDMA_RAIL_PAUSE_SECONDS)");
            return;
        }
        retried.increment();
        int peerDev = r.peerOrder[(attempts + target) % r.peerOrder.length];
        workers[target].offer(new Retry(r, slice, attempts, tried | (1L << target), peerDev));
    }

    /** A peer left or restarted: its connections are reconnected on next use. */
    public void peerInvalidated(String segment) {
        for (Worker w : workers) {
            for (Link l : w.links.values()) {
                Conn c = l.conn;
                if (c != null && l.peer.segment().equals(segment)) {
                    c.broken = true;
                }
            }
            w.wake();
        }
    }

    /** Stops the workers: outstanding requests flush, and every slice not yet ended fails. */
    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) {
            w.wake();
            Thread t = w.thread;
            if (t != null) {
                try {
                    t.join(5000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
