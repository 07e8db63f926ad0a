package io.mooncake.testing;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.select.SelectionReport;
import io.mooncake.engine.select.TransportSelector;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.probe.DeviceAccess;
import io.mooncake.probe.LibraryLoader;
import io.mooncake.probe.ProbeContext;
import io.mooncake.transport.NativeTransports;
import java.nio.file.Path;
import java.util.Map;

/** Helpers that turn a fake host into probe contexts, engine configurations and selections. */
public final class Hosts {

    private Hosts() {
    }

    /** A probe context over a fake tree. */
    public static ProbeContext context(Path root, LibraryLoader libs, DeviceAccess access, Map<String, String> env) {
        return new ProbeContext(root, libs, env, access);
    }

    /** An engine configuration for a fake tree. */
    public static EngineConfig config(Path root, String protocol, String deviceName, Map<String, String> env) {
        return EngineConfig.builder().environment(env).protocol(protocol).deviceName(deviceName)
                .sysfsRoot(root.toString()).build();
    }

    /** The engine's context for a configuration. */
    public static TransportContext transportContext(EngineConfig config) {
        return TransportContext.standalone(config, "test:12345", "127.0.0.1");
    }

    /** The engine's selector over this module's providers with fake libraries. */
    public static TransportSelector selector(LibraryLoader libs, DeviceAccess access) {
        return new TransportSelector(NativeTransports.providers(libs, access));
    }

    /** Runs the engine's selection for a configuration. */
    public static SelectionReport select(LibraryLoader libs, DeviceAccess access, EngineConfig config) {
        return selector(libs, access).select(transportContext(config));
    }

    /** The decision about one protocol. */
    public static SelectionReport.Decision decision(SelectionReport report, String protocol) {
        return report.decisions().stream().filter(d -> d.protocol().equals(protocol)).findFirst()
                .orElseThrow(() -> new AssertionError("no decision for " + protocol + " in " + report));
    }
}
