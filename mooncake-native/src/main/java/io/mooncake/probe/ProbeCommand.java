package io.mooncake.probe;

import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.api.TransportUnavailableException;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.select.SelectionReport;
import io.mooncake.engine.select.TransportSelector;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.engine.transport.TransportProvider;
import io.mooncake.topology.TopologyDiscovery;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * The {@code mooncake-probe} command: prints the RDMA devices as {@code ibv_devices} and
 * {@code ibv_devinfo} do, every probe's verdict, the NIC priority matrix, and which transport
 * the engine's {@link TransportSelector} would run for the given configuration, and why.
 *
 * <p>Options: {@code --protocol <p>} (else {@code MOONCAKE_PROTOCOL}, else tcp),
 * {@code --device_name <list>} (else {@code MOONCAKE_DEVICE}), {@code --sysfs_root <dir>}
 * (default {@code /}), {@code --no_fallback}; {@code MC_*} variables apply as in the engine.
 * Exit status: 0, 1 when the selection refuses to start, 2 on bad arguments.
 */
public final class ProbeCommand {

    private final LibraryLoader loader;
    private final DeviceAccess access;
    private final List<TransportProvider> providers;

    /** A command over the given libraries, device check and transport providers. */
    public ProbeCommand(LibraryLoader loader, DeviceAccess access, List<TransportProvider> providers) {
        this.loader = loader;
        this.access = access;
        this.providers = List.copyOf(providers);
    }

    /** Runs the command on this host with the providers on the class path. */
    public static void main(String[] args) {
        List<TransportProvider> found = new ArrayList<>();
        ServiceLoader.load(TransportProvider.class, ProbeCommand.class.getClassLoader()).forEach(found::add);
        System.exit(new ProbeCommand(LibraryLoader.jna(), DeviceAccess.OPEN, found).run(args, System.getenv(),
                System.out, System.err));
    }

    /** Runs the command; returns the exit status. */
    public int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        EngineConfig config;
        try {
            config = config(args, env);
            if (config != null) {
                checkProtocols(config);
            }
        } catch (IllegalArgumentException | MooncakeException e) {
            err.println("mooncake-probe: " + e.getMessage());
            err.println("usage: mooncake-probe [--protocol <p>] [--device_name <nic,...|auto-discovery>] "
                    + "[--sysfs_root <dir>] [--no_fallback]");
            return 2;
        }
        if (config == null) {
            out.println("usage: mooncake-probe [--protocol <p>] [--device_name <nic,...|auto-discovery>] "
                    + "[--sysfs_root <dir>] [--no_fallback]");
            return 0;
        }
        ProbeContext ctx = ProbeContext.of(config, loader, access);
        List<Hca> hcas = VerbsDevices.read(ctx);
        out.println("Mooncake probe, sysfs root " + config.sysfsRoot());
        out.println();
        printDevices(out, ctx, hcas);
        out.println();
        printDevinfo(out, hcas);
        out.println("Probes:");
        for (Probe<?> p : Probes.ALL) {
            ProbeResult r = p.probe(ctx);
            out.printf("  %-7s %-17s %s%n", p.kind().id(), r.available() ? "available" : r.cause().name(), r.reason());
            if (r.fix() != null) {
                out.printf("  %-7s %-17s fix: %s%n", "", "", r.fix());
            }
        }
        out.println();
        out.println("Topology (rdma, device_name " + config.deviceNames() + "):");
        try {
            Scan<Hca> rdma = RdmaProbe.INSTANCE.scan(ctx);
            TopologyDiscovery.Result topo = TopologyDiscovery.discover(ctx, rdma.devices(), config.deviceNames());
            out.println("  " + topo.topology().toJson());
            out.println("  source: " + topo.source() + ", devices best first: " + topo.topology().devices());
        } catch (MooncakeException e) {
            out.println("  " + e.getMessage());
        }
        out.println();
        return printSelection(out, config);
    }

    /** Every requested protocol must be a reference protocol or one a loaded transport serves. */
    private void checkProtocols(EngineConfig config) {
        java.util.Set<String> known = new java.util.TreeSet<>(new TransportSelector(providers).loadedProtocols());
        for (String p : config.protocols()) {
            if (!known.contains(p) && !io.mooncake.engine.api.Protocol.isWellKnown(p)) {
                throw new IllegalArgumentException("unknown protocol '" + p + "'; valid protocols are: "
                        + io.mooncake.engine.api.Protocol.validNames() + " (loaded transports: "
                        + String.join(", ", known) + ")");
            }
        }
    }

    private int printSelection(PrintStream out, EngineConfig config) {
        out.println("Transport selection (protocol " + String.join(",", config.protocols()) + ", device_name "
                + config.deviceNames() + ", fallback to tcp " + (config.fallbackToTcp() ? "on" : "off") + "):");
        TransportContext context = TransportContext.standalone(config, "mooncake-probe", config.localHostname());
        try {
            SelectionReport report = new TransportSelector(providers).select(context);
            for (SelectionReport.Decision d : report.decisions()) {
                out.printf("  %-12s %-18s %s%n", d.protocol(), d.outcome()
                        + (d.replacement() == null ? "" : " -> " + d.replacement()), d.why());
            }
            out.println("  chosen: " + report.primary() + " (running: " + String.join(", ", report.active()) + ")");
            return 0;
        } catch (TransportUnavailableException e) {
            out.println("  refused: " + e.getMessage());
            return 1;
        }
    }

    private static void printDevices(PrintStream out, ProbeContext ctx, List<Hca> hcas) {
        out.printf("    %-16s\t    node GUID%n", "device");
        out.printf("    %-16s\t----------------%n", "------");
        for (Hca h : hcas) {
            out.printf("    %-16s\t%s%n", h.name(), h.nodeGuid().replace(":", ""));
        }
        if (hcas.isEmpty()) {
            out.println("    (no RDMA device in " + ctx.path(VerbsDevices.CLASS_DIR) + ")");
        }
    }

    private static void printDevinfo(PrintStream out, List<Hca> hcas) {
        for (Hca h : hcas) {
            out.println("hca_id:\t" + h.name());
            String transport = h.ports().stream().anyMatch(p -> p.linkLayer().equals("Ethernet")) ? "RoCE"
                    : h.isEfa() ? "EFA" : "InfiniBand";
            out.println("\ttransport:\t\t\t" + transport);
            out.println("\tfw_ver:\t\t\t\t" + h.firmware());
            out.println("\tnode_guid:\t\t\t" + h.nodeGuid());
            out.println("\tsys_image_guid:\t\t\t" + h.sysImageGuid());
            out.printf("\tvendor_id:\t\t\t0x%04x%n", h.vendorId());
            out.println("\tvendor_part_id:\t\t\t" + h.partId());
            out.println("\thw_ver:\t\t\t\t" + h.hwRev());
            out.println("\tboard_id:\t\t\t" + h.boardId());
            out.println("\tphys_port_cnt:\t\t\t" + h.ports().size());
            out.println("\tdriver:\t\t\t\t" + h.driver() + " (PCI " + h.pciAddress() + ", NUMA " + h.numaNode() + ")");
            out.println("\tuverbs:\t\t\t\t" + (h.uverbs().isEmpty() ? "none" : h.uverbs()));
            out.println("\tusable:\t\t\t\t" + (h.usable() ? "yes" : "no: " + h.problem()));
            for (Hca.Port p : h.ports()) {
                out.println("\t\tport:\t" + p.number());
                out.println("\t\t\tstate:\t\t\tPORT_" + p.state() + " (" + p.stateCode() + ")");
                out.println("\t\t\tphys_state:\t\t" + p.physState());
                out.println("\t\t\trate:\t\t\t" + p.rate());
                out.println("\t\t\tsm_lid:\t\t\t" + p.smLid());
                out.println("\t\t\tport_lid:\t\t" + p.lid());
                out.println("\t\t\tport_lmc:\t\t" + p.lmc());
                out.println("\t\t\tlink_layer:\t\t" + p.linkLayer());
                for (Hca.Gid g : p.gids()) {
                    out.println("\t\t\tGID[" + g.index() + "]:\t\t" + g.gid() + (g.type().isEmpty() ? "" : ", " + g.type())
                            + (g.netdev().isEmpty() ? "" : ", " + g.netdev()));
                }
            }
            out.println();
        }
    }

    /** The configuration from arguments over environment; {@code null} for --help. */
    static EngineConfig config(String[] args, Map<String, String> env) {
        String protocol = env.getOrDefault("MOONCAKE_PROTOCOL", "tcp");
        String device = env.getOrDefault("MOONCAKE_DEVICE", "");
        String root = "/";
        boolean fallback = true;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String key = a;
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                key = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            key = key.replace('-', '_');
            switch (key) {
                case "__help", "_h":
                    return null;
                case "__no_fallback":
                    fallback = false;
                    break;
                case "__protocol", "__device_name", "__sysfs_root":
                    if (value == null) {
                        if (i + 1 >= args.length) {
                            throw new IllegalArgumentException("option " + a + " needs a value");
                        }
                        value = args[++i];
                    }
                    if (key.equals("__protocol")) {
                        protocol = value;
                    } else if (key.equals("__device_name")) {
                        device = value;
                    } else {
                        root = value;
                    }
                    break;
                default:
                    throw new IllegalArgumentException("unknown option '" + a + "'");
            }
        }
        if (!Path.of(root).toFile().isDirectory()) {
            throw new IllegalArgumentException("--sysfs_root " + root + " is not a directory");
        }
        return EngineConfig.builder().environment(env).protocol(protocol).deviceName(device).sysfsRoot(root)
                .fallbackToTcp(fallback).build();
    }
}
