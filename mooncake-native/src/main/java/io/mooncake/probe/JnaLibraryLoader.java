package io.mooncake.probe;

import io.mooncake.jna.AcceleratorRuntime;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.NativeLoading;
import io.mooncake.jna.acl.JnaAscendCl;
import io.mooncake.jna.cndrv.JnaCndrv;
import io.mooncake.jna.fabric.Fabric;
import io.mooncake.jna.fabric.JnaFabric;
import io.mooncake.jna.hip.Hip;
import io.mooncake.jna.hip.JnaHip;
import io.mooncake.jna.nvml.JnaNvml;
import io.mooncake.jna.nvml.Nvml;
import io.mooncake.jna.verbs.JnaVerbs;
import io.mooncake.jna.verbs.Verbs;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** {@link LibraryLoader} over the real libraries; each is linked at most once per JVM. Thread-safe. */
final class JnaLibraryLoader implements LibraryLoader {

    static final JnaLibraryLoader INSTANCE = new JnaLibraryLoader();

    private final Map<List<String>, Loaded<String>> present = new ConcurrentHashMap<>();

    private JnaLibraryLoader() {
    }

    @Override
    public Loaded<Verbs> verbs() {
        return JnaVerbs.load();
    }

    @Override
    public Loaded<Fabric> fabric() {
        return JnaFabric.load();
    }

    @Override
    public Loaded<Nvml> nvml() {
        return JnaNvml.load();
    }

    @Override
    public Loaded<AcceleratorRuntime> hip(List<String> candidates) {
        return JnaHip.load(candidates);
    }

    @Override
    public Loaded<Hip> hipRuntime(List<String> candidates) {
        Loaded<JnaHip> l = JnaHip.loadHip(candidates);
        return l.isLoaded() ? Loaded.of(l.name(), l.library()) : new Loaded<>(null, l.name(), l.failure(),
                l.permissionDenied());
    }

    @Override
    public Loaded<AcceleratorRuntime> ascendCl(List<String> candidates) {
        return JnaAscendCl.load(candidates);
    }

    @Override
    public Loaded<AcceleratorRuntime> cndrv(List<String> candidates) {
        return JnaCndrv.load(candidates);
    }

    @Override
    public Loaded<String> library(List<String> candidates) {
        return present.computeIfAbsent(List.copyOf(candidates), NativeLoading::present);
    }
}
