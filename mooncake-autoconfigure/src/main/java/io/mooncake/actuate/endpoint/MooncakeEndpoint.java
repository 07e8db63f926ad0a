package io.mooncake.actuate.endpoint;

import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.PeerInfo;
import io.mooncake.engine.api.RegisteredMemory;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.select.SelectionReport;
import io.mooncake.engine.stats.FailureKind;
import io.mooncake.engine.stats.TransferStats;
import io.mooncake.engine.transport.Availability;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/**
 * The {@code mooncake} endpoint: read-only facts about the running transfer engine - which
 * protocols run and why, what the hardware probes found and the NIC priority matrix (with
 * mooncake-native), the registered memory, the opened peers and the traffic so far.
 *
 * <p>Memory is listed by size, location and access only: raw addresses are left out, as they
 * would tell a reader where the process keeps its buffers (and the safe API never hands them out
 * either). The metadata service is described without credentials. Thread-safe.
 */
@Endpoint(id = "mooncake")
public class MooncakeEndpoint {

    private final MooncakeEngine engine;

    private final HardwareReport hardware;

    /**
     * @param engine the engine to describe
     * @param hardware the probe and topology report, or {@code null} without mooncake-native
     */
    public MooncakeEndpoint(MooncakeEngine engine, HardwareReport hardware) {
        this.engine = engine;
        this.hardware = hardware;
    }

    @ReadOperation
    public MooncakeDescriptor mooncake() {
        SelectionReport selection = this.engine.selection();
        io.mooncake.engine.core.AdvertisedAddress a = this.engine.advertisedAddress();
        int dataPort = (this.engine.localDescriptor() != null) ? this.engine.localDescriptor().tcpDataPort() : 0;
        AddressDescriptor address = (a == null) ? null
                : new AddressDescriptor(a.host(), a.how(), a.warning(), this.engine.rpcPort(), dataPort);
        return new MooncakeDescriptor(this.engine.localSegmentName(), address,
                new MetadataDescriptor(this.engine.metadataDescription(), this.engine.metadataReachable()),
                selection(selection), this.engine.transportStats(), memory(this.engine.registeredMemory()),
                peers(this.engine.peers()), traffic(this.engine.stats()),
                (this.hardware != null) ? this.hardware.describe() : null, security(this.engine));
    }

    /** Authentication and bind address in words; never the secret. */
    private static SecurityDescriptor security(MooncakeEngine engine) {
        io.mooncake.engine.security.PeerAuthentication auth = engine.authentication();
        io.mooncake.engine.core.BindAddress bind = engine.bindAddress();
        return new SecurityDescriptor(auth.enabled() ? "on" : "off", auth.tls() ? "on" : "off", auth.describe(),
                (bind != null) ? bind.describe() : null, (bind != null) ? bind.how() : null,
                (bind != null) ? bind.warning() : null, engine.stats().rejectedConnections());
    }

    private static SelectionDescriptor selection(SelectionReport report) {
        List<DecisionDescriptor> decisions = new ArrayList<>();
        for (SelectionReport.Decision d : report.decisions()) {
            Availability a = d.availability();
            decisions.add(new DecisionDescriptor(d.protocol(), d.outcome().name(), d.replacement(), d.why(),
                    new ProbeDescriptor(a.available(), a.cause().name(), a.reason(), a.fix(), a.details())));
        }
        return new SelectionDescriptor(report.requested(), report.active(), report.primary(), report.fellBack(),
                decisions);
    }

    private static List<MemoryDescriptor> memory(List<RegisteredMemory> regions) {
        List<MemoryDescriptor> out = new ArrayList<>();
        for (RegisteredMemory r : regions) {
            out.add(new MemoryDescriptor(r.length(), r.location(), r.remoteAccessible()));
        }
        return out;
    }

    private static List<PeerDescriptor> peers(List<PeerInfo> peers) {
        List<PeerDescriptor> out = new ArrayList<>();
        for (PeerInfo p : peers) {
            out.add(new PeerDescriptor(p.name(), p.protocol(), p.host(), p.buffers(), p.bytesPublished(),
                    p.stale() ? "STALE" : "OPEN", p.transport(), p.route()));
        }
        return out;
    }

    private static TrafficDescriptor traffic(TransferStats stats) {
        Map<String, Map<String, OpTraffic>> byProtocol = new LinkedHashMap<>();
        stats.snapshot().forEach((protocol, counters) -> {
            Map<String, OpTraffic> ops = new LinkedHashMap<>();
            for (OpCode op : OpCode.values()) {
                TransferStats.Counters c = counters[op.ordinal()];
                Map<String, Long> requests = new LinkedHashMap<>();
                for (TransferState s : new TransferState[] { TransferState.COMPLETED, TransferState.FAILED,
                        TransferState.TIMEOUT, TransferState.CANCELED }) {
                    requests.put(s.name(), c.requests(s));
                }
                Map<String, Long> failures = new LinkedHashMap<>();
                for (FailureKind kind : FailureKind.values()) {
                    if (kind != FailureKind.NONE && c.failures(kind) > 0) {
                        failures.put(kind.name(), c.failures(kind));
                    }
                }
                ops.put(op.name(), new OpTraffic(c.bytes(), requests, failures));
            }
            byProtocol.put(protocol, ops);
        });
        return new TrafficDescriptor(stats.inFlight(), byProtocol, stats.fallbacks());
    }

    /**
     * The endpoint's answer.
     *
     * @param segment this node's segment name
     * @param advertised the address peers connect to, how it was chosen, and the listening ports
     * @param metadata the metadata service and whether it answers
     * @param selection protocols requested and running, and why
     * @param transports per running transport, its facts (ports, connections, rejected requests)
     * @param registeredMemory registered local memory, without addresses
     * @param peers opened remote segments
     * @param traffic bytes and requests so far
     * @param hardware probes and topology; {@code null} without mooncake-native
     * @param security whether peers must authenticate, where the listeners bind, refused connections
     */
    public record MooncakeDescriptor(String segment, AddressDescriptor advertised, MetadataDescriptor metadata, SelectionDescriptor selection,
            Map<String, Map<String, Object>> transports, List<MemoryDescriptor> registeredMemory,
            List<PeerDescriptor> peers, TrafficDescriptor traffic, HardwareDescriptor hardware,
            SecurityDescriptor security) implements OperationResponseBody {
    }

    /**
     * Who may talk to this node.
     *
     * @param authentication {@code on} when peers must prove the shared secret, else {@code off}
     * @param tls {@code on} when handshake and data connections run (mutual) TLS, else {@code off}
     * @param description what that means, in plain words
     * @param bindAddress the address the listeners bind ({@code 0.0.0.0 (every interface)} for the wildcard)
     * @param bindHow how it was chosen
     * @param bindWarning why the listeners are more exposed than advertised, or {@code null}
     * @param rejectedConnections inbound connections refused, by {@code port:REASON}
     */
    public record SecurityDescriptor(String authentication, String tls, String description, String bindAddress, String bindHow,
            String bindWarning, Map<String, Long> rejectedConnections) {
    }

    /**
     * Where peers reach this node.
     *
     * @param host the advertised host or address
     * @param how how it was chosen (bind address, local-hostname, the default route's interface)
     * @param warning why peers on other hosts may not reach it, or {@code null}
     * @param handshakePort the handshake (RPC) listener port
     * @param tcpDataPort the tcp data listener port, 0 without tcp ({@code mooncake.tcp-data-port} fixes it)
     */
    public record AddressDescriptor(String host, String how, String warning, int handshakePort, int tcpDataPort) {
    }

    /** The metadata service in words (never credentials) and whether it answered its last call. */
    public record MetadataDescriptor(String description, boolean reachable) {
    }

    /** Protocols requested, running ({@code primary} first, published in the descriptor), and one decision each. */
    public record SelectionDescriptor(List<String> requested, List<String> active, String primary, boolean fellBack,
            List<DecisionDescriptor> decisions) {
    }

    /** What became of one protocol (ACTIVE, FELL_BACK, OVERRIDDEN, ADDED), its replacement and why. */
    public record DecisionDescriptor(String protocol, String outcome, String replacement, String why,
            ProbeDescriptor probe) {
    }

    /** One probe's verdict: cause NONE when available, else why not and the fix; details are its findings. */
    public record ProbeDescriptor(boolean available, String cause, String reason, String fix,
            Map<String, String> details) {
    }

    /** A registered region: bytes, location ({@code cpu:0}, {@code cuda:1}) and whether peers may access it. */
    public record MemoryDescriptor(long length, String location, boolean remoteAccessible) {
    }

    /**
     * An opened peer: state OPEN, or STALE when its descriptor will be re-read before the next use;
     * the transport its requests go over, and why (which others reach it, which do not and why).
     */
    public record PeerDescriptor(String name, String protocol, String host, int buffers, long bytesPublished,
            String state, String transport, String route) {
    }

    /**
     * Requests in flight; per protocol and op the bytes, requests by outcome and failures by reason;
     * requests moved from a failing transport to the next, by {@code from->to:REASON}.
     */
    public record TrafficDescriptor(long inFlight, Map<String, Map<String, OpTraffic>> protocols,
            Map<String, Long> fallbacks) {
    }

    /** Bytes of completed requests, requests by outcome, failures by reason (non-zero ones). */
    public record OpTraffic(long bytes, Map<String, Long> requests, Map<String, Long> failures) {
    }

    /**
     * What the host's probes found and the NIC priority matrix.
     *
     * @param probes per probe kind (rdma, efa, cuda, ...), its verdict and the devices it saw
     * @param topology the priority matrix over the rdma NICs
     */
    public record HardwareDescriptor(Map<String, ProbeDescriptor> probes, TopologyDescriptor topology) {
    }

    /**
     * The NIC priority matrix.
     *
     * @param source {@code discovery} or {@code MC_CUSTOM_TOPO_JSON=...}
     * @param matrix per location ({@code cpu:0}, {@code cuda:0}), the preferred and other NICs
     * @param devices NICs best first
     * @param notFound configured device names that do not exist
     * @param unusable configured devices that exist but cannot be used
     * @param error why no matrix could be built, or {@code null}
     */
    public record TopologyDescriptor(String source, Map<String, MatrixEntry> matrix, List<String> devices,
            List<String> notFound, List<String> unusable, String error) {
    }

    /** NICs preferred for a location, and the others it may use. */
    public record MatrixEntry(List<String> preferred, List<String> available) {
    }
}
