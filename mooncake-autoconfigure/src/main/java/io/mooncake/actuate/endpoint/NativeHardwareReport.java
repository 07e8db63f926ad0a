package io.mooncake.actuate.endpoint;

import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.probe.DeviceAccess;
import io.mooncake.probe.Hca;
import io.mooncake.probe.LibraryLoader;
import io.mooncake.probe.Probe;
import io.mooncake.probe.ProbeContext;
import io.mooncake.probe.ProbeResult;
import io.mooncake.probe.Probes;
import io.mooncake.probe.RdmaProbe;
import io.mooncake.probe.Scan;
import io.mooncake.topology.Topology;
import io.mooncake.topology.TopologyDiscovery;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The hardware report from mooncake-native: every probe over the engine's sysfs root and
 * environment, and the rdma priority matrix, as the probe command prints them. Probes scan sysfs
 * and load vendor libraries, so the report is computed on first use and kept (hardware does not
 * change under a running engine). Thread-safe.
 */
public final class NativeHardwareReport implements HardwareReport {

    private final Supplier<ProbeContext> context;

    private final List<String> deviceNames;

    private volatile MooncakeEndpoint.HardwareDescriptor report;

    /** A report over what {@code config} names: sysfs root, environment, device list. */
    public NativeHardwareReport(EngineConfig config) {
        this(() -> ProbeContext.of(config, LibraryLoader.jna(), DeviceAccess.OPEN), config.deviceNames());
    }

    NativeHardwareReport(Supplier<ProbeContext> context, List<String> deviceNames) {
        this.context = context;
        this.deviceNames = deviceNames;
    }

    @Override
    public MooncakeEndpoint.HardwareDescriptor describe() {
        MooncakeEndpoint.HardwareDescriptor r = this.report;
        if (r == null) {
            synchronized (this) {
                r = this.report;
                if (r == null) {
                    r = build(this.context.get());
                    this.report = r;
                }
            }
        }
        return r;
    }

    private MooncakeEndpoint.HardwareDescriptor build(ProbeContext ctx) {
        Map<String, MooncakeEndpoint.ProbeDescriptor> probes = new LinkedHashMap<>();
        for (Probe<?> p : Probes.ALL) {
            ProbeResult r = p.probe(ctx);
            probes.put(p.kind().id(), new MooncakeEndpoint.ProbeDescriptor(r.available(), r.cause().name(), r.reason(),
                    r.fix(), r.details()));
        }
        return new MooncakeEndpoint.HardwareDescriptor(probes, topology(ctx));
    }

    private MooncakeEndpoint.TopologyDescriptor topology(ProbeContext ctx) {
        try {
            Scan<Hca> rdma = RdmaProbe.INSTANCE.scan(ctx);
            TopologyDiscovery.Result result = TopologyDiscovery.discover(ctx, rdma.devices(), this.deviceNames);
            Map<String, MooncakeEndpoint.MatrixEntry> matrix = new LinkedHashMap<>();
            for (Map.Entry<String, Topology.Entry> e : result.topology().matrix().entrySet()) {
                matrix.put(e.getKey(), new MooncakeEndpoint.MatrixEntry(e.getValue().preferred(),
                        e.getValue().available()));
            }
            return new MooncakeEndpoint.TopologyDescriptor(result.source(), matrix, result.topology().devices(),
                    result.selection().notFound(), result.selection().unusable(), null);
        }
        catch (MooncakeException ex) {
            return new MooncakeEndpoint.TopologyDescriptor(null, Map.of(), List.of(), List.of(), List.of(),
                    ex.getMessage());
        }
    }
}
