package io.mooncake.jna;

import com.sun.jna.Library;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Loads each vendor runtime at most once per list of candidate paths. Runtimes whose location
 * comes from the environment ({@code NEUWARE_HOME}, {@code ASCEND_HOME_PATH}, {@code ROCM_PATH})
 * cannot use a plain lazy holder, so they are remembered per candidate list instead. Thread-safe.
 */
public final class RuntimeCache<L extends Library> {

    private final Class<L> iface;
    private final Function<L, AcceleratorRuntime> facade;
    private final Map<List<String>, Loaded<AcceleratorRuntime>> loaded = new ConcurrentHashMap<>();

    public RuntimeCache(Class<L> iface, Function<L, AcceleratorRuntime> facade) {
        this.iface = iface;
        this.facade = facade;
    }

    /** The runtime from the first candidate that links, or why none did. */
    public Loaded<AcceleratorRuntime> load(List<String> candidates) {
        return loaded.computeIfAbsent(List.copyOf(candidates), c -> NativeLoading.load(iface, c, facade));
    }
}
