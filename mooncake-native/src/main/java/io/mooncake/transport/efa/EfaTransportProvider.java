package io.mooncake.transport.efa;

import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.api.TransportUnavailableException;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.transport.Availability;
import io.mooncake.engine.transport.Transport;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.fabric.Fabric;
import io.mooncake.probe.DeviceAccess;
import io.mooncake.probe.EfaProbe;
import io.mooncake.probe.Hca;
import io.mooncake.probe.LibraryLoader;
import io.mooncake.probe.ProbeContext;
import io.mooncake.probe.Scan;
import io.mooncake.transport.NativeTransportProvider;
import io.mooncake.transport.NicTopologyCheck;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Provider of protocol {@code efa}.
 *
 * <p>With the efa libfabric provider (the default) it probes as before: EFA devices in sysfs,
 * libfabric with an efa domain per device, {@code device_name} and the priority matrix
 * ({@link EfaProbe}, {@link NicTopologyCheck}). With another provider chosen
 * ({@link EfaSettings}: {@code tcp;ofi_rxm}, {@code shm}) it needs only libfabric offering that
 * provider with RDM endpoints; the devices are its domains ({@code device_name}, else the
 * provider's first), and every NUMA node prefers all of them. In both cases the transport then
 * runs; when nothing is usable the engine falls back to tcp with the reason, as for every
 * protocol.
 */
public final class EfaTransportProvider extends NativeTransportProvider {

    static final String USE_TCP = "set mooncake.protocol=tcp";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final LibraryLoader loader;
    private final DeviceAccess access;

    /** Over the real libraries and device files. */
    public EfaTransportProvider() {
        this(LibraryLoader.jna(), DeviceAccess.OPEN);
    }

    /** Over the given libraries and device check. */
    public EfaTransportProvider(LibraryLoader loader, DeviceAccess access) {
        super(loader, access);
        this.loader = loader;
        this.access = access;
    }

    @Override
    public String protocol() {
        return EfaTransport.PROTOCOL;
    }

    /** What was found, for availability and creation. */
    private record Found(Availability availability, List<String> devices, Map<String, List<List<String>>> matrix) {
    }

    @Override
    protected Availability judge(ProbeContext ctx, EngineConfig config) {
        return find(config).availability();
    }

    @Override
    public Transport create(TransportContext context) {
        Found f = find(context.config());
        if (!f.availability().available()) {
            throw new TransportUnavailableException(protocol(), f.availability().describe());
        }
        return new EfaTransport(context, loader.fabric().library(), EfaSettings.of(context.config()), f.devices(),
                f.matrix());
    }

    private Found find(EngineConfig config) {
        EfaSettings settings;
        try {
            settings = EfaSettings.of(config);
        } catch (MooncakeException e) {
            return new Found(Availability.unavailable(Availability.Cause.INIT_FAILED, e.getMessage(), USE_TCP),
                    List.of(), Map.of());
        }
        ProbeContext ctx = ProbeContext.of(config, loader, access);
        return settings.efaProvider() ? efa(ctx, config) : override(ctx, settings);
    }

    private Found efa(ProbeContext ctx, EngineConfig config) {
        Scan<Hca> scan = EfaProbe.INSTANCE.scan(ctx);
        if (!scan.result().available()) {
            var r = scan.result();
            return new Found(Availability.unavailable(r.cause(), r.reason(), withTcp(r.fix() + " (or choose another "
                    + "libfabric provider with " + EfaSettings.PROVIDER_ENV + ", e.g. 'tcp;ofi_rxm')"), r.details()),
                    List.of(), Map.of());
        }
        NicTopologyCheck.Outcome o = NicTopologyCheck.check(ctx, config, scan.devices(), scan.result().details());
        if (o.problem() != null) {
            return new Found(o.problem(), List.of(), Map.of());
        }
        Map<String, String> d = new LinkedHashMap<>(o.details());
        d.put("libfabric provider", "efa (default)");
        return new Found(Availability.ready(o.devices().size() + " usable EFA device(s): " + o.devices(), d),
                o.devices(), matrix(o.details().get("topology"), o.devices()));
    }

    private Found override(ProbeContext ctx, EfaSettings settings) {
        Loaded<Fabric> lib = ctx.loader().fabric();
        if (!lib.isLoaded()) {
            return new Found(Availability.unavailable(lib.permissionDenied() ? Availability.Cause.PERMISSION_DENIED
                    : Availability.Cause.NO_LIBRARY, lib.name() + " cannot be loaded: " + lib.failure(),
                    withTcp("install libfabric1")), List.of(), Map.of());
        }
        Fabric.Query q = lib.library().getInfo(settings.provider(), true);
        Map<String, String> details = new LinkedHashMap<>();
        details.put("libfabric", lib.library().version());
        details.put("libfabric provider", settings.provider() + " (from " + settings.providerOrigin() + ")");
        if (q.rc() != 0 || q.infos().isEmpty()) {
            return new Found(Availability.unavailable(Availability.Cause.NO_LIBRARY, "libfabric "
                    + lib.library().version() + " offers no RDM endpoint for provider '" + settings.provider()
                    + "' (fi_getinfo: " + q.error() + ")", withTcp("check fi_info -p '" + settings.provider()
                    + "' -t FI_EP_RDM, or unset " + EfaSettings.PROVIDER_ENV), details), List.of(), Map.of());
        }
        List<String> domains = q.infos().stream().map(Fabric.Info::domain).distinct().toList();
        details.put("domains", String.join(",", domains));
        List<String> devices = settings.devices().isEmpty() ? List.of(domains.get(0)) : settings.devices();
        List<String> missing = devices.stream().filter(x -> !domains.contains(x)).toList();
        if (!missing.isEmpty()) {
            return new Found(Availability.unavailable(Availability.Cause.NO_DEVICE, "libfabric provider '"
                    + settings.provider() + "' has no domain " + missing + "; it offers " + domains,
                    withTcp("set mooncake.device-name to some of " + domains), details), List.of(), Map.of());
        }
        details.put("devices", String.join(",", devices));
        Map<String, List<List<String>>> m = new TreeMap<>();
        for (String node : numaNodes(ctx)) {
            m.put("cpu:" + node, List.of(devices, List.of()));
        }
        return new Found(Availability.ready("libfabric provider '" + settings.provider() + "' with device(s) "
                + devices, details), devices, m);
    }

    private static List<String> numaNodes(ProbeContext ctx) {
        List<String> nodes = new ArrayList<>();
        Path dir = ctx.path("sys/devices/system/node");
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                s.map(p -> p.getFileName().toString()).filter(n -> n.matches("node\\d+")).sorted()
                        .forEach(n -> nodes.add(n.substring(4)));
            } catch (java.io.IOException e) {
                // below: cpu:0
            }
        }
        if (nodes.isEmpty()) {
            nodes.add("0");
        }
        return nodes;
    }

    /** The matrix the topology check computed (its JSON), or every device preferred by cpu:0. */
    static Map<String, List<List<String>>> matrix(String json, List<String> devices) {
        Map<String, List<List<String>>> m = new TreeMap<>();
        if (json != null && !json.isBlank()) {
            JsonNode root = JSON.readTree(json);
            for (Map.Entry<String, JsonNode> e : root.properties()) {
                List<List<String>> tiers = new ArrayList<>();
                for (JsonNode tier : e.getValue()) {
                    List<String> names = new ArrayList<>();
                    tier.forEach(n -> names.add(n.asString()));
                    tiers.add(names);
                }
                m.put(e.getKey(), tiers);
            }
        }
        if (m.isEmpty()) {
            m.put("cpu:0", List.of(devices, List.of()));
        }
        return m;
    }

    private static String withTcp(String fix) {
        return fix == null || fix.isBlank() ? USE_TCP : fix + " or " + USE_TCP;
    }
}
