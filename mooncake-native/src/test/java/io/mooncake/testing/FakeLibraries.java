package io.mooncake.testing;

import io.mooncake.jna.AcceleratorRuntime;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.RuntimeQuery;
import io.mooncake.jna.fabric.Fabric;
import io.mooncake.jna.nvml.Nvml;
import io.mooncake.jna.verbs.Verbs;
import io.mooncake.probe.LibraryLoader;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A {@link LibraryLoader} of fake vendor libraries for hosts that cannot exist on the build
 * machine. Every library is missing (with the dynamic linker's usual message) until set; the
 * candidates each runtime was asked to load from are recorded.
 */
public final class FakeLibraries implements LibraryLoader {

    private Verbs verbs;
    private Fabric fabric;
    private Nvml nvml;
    private AcceleratorRuntime hip;
    private io.mooncake.jna.hip.Hip hipRuntime;
    private AcceleratorRuntime acl;
    private AcceleratorRuntime cndrv;
    private io.mooncake.jna.cuda.Cuda cuda;
    private final Set<String> present = new HashSet<>();
    /** Every candidate list asked for, in order. */
    public final List<List<String>> asked = new ArrayList<>();

    /** libibverbs listing these devices. */
    public FakeLibraries libibverbs(String... names) {
        List<Verbs.Device> devices = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            devices.add(new Verbs.Device(names[i], 0xb8599f0300fa0000L + i));
        }
        verbs = () -> new Verbs.DeviceList(devices, 0);
        return this;
    }

    /** libibverbs whose ibv_get_device_list returns NULL with this errno. */
    public FakeLibraries libibverbsFailing(int errno) {
        verbs = () -> new Verbs.DeviceList(List.of(), errno);
        return this;
    }

    /** libfabric whose efa provider offers these domains (none: fi_getinfo answers -FI_ENODATA). */
    public FakeLibraries libfabric(String... efaDomains) {
        fabric = new Fabric() {
            @Override
            public String version() {
                return "1.22";
            }

            @Override
            public Query getInfo(String provider, boolean rdm) {
                if (!provider.equals("efa") || efaDomains.length == 0) {
                    return new Query(-61, "No data available", List.of());
                }
                List<Info> infos = new ArrayList<>();
                for (String d : efaDomains) {
                    infos.add(new Info("efa", "efa", d, 3));
                }
                return new Query(0, null, infos);
            }
        };
        return this;
    }

    /** NVML answering this snapshot. */
    public FakeLibraries nvml(Nvml.Snapshot snapshot) {
        nvml = () -> snapshot;
        return present("libcuda.so.1");
    }

    public FakeLibraries hip(RuntimeQuery q) {
        hip = () -> q;
        return this;
    }

    /** The HIP runtime the hip transport and allocator use (a {@link HipTestDouble} process: stands for AMD GPUs). */
    public FakeLibraries hipRuntime(io.mooncake.jna.hip.Hip runtime) {
        hipRuntime = runtime;
        return this;
    }

    @Override
    public Loaded<io.mooncake.jna.hip.Hip> hipRuntime(List<String> candidates) {
        asked.add(candidates);
        return of(candidates.get(0), hipRuntime);
    }

    public FakeLibraries ascendCl(RuntimeQuery q) {
        acl = () -> q;
        return this;
    }

    public FakeLibraries cndrv(RuntimeQuery q) {
        cndrv = () -> q;
        return this;
    }

    /** Libraries only checked for presence, by file name ({@code libhccl.so}, {@code libaccl_barex.so}). */
    public FakeLibraries present(String fileName) {
        present.add(fileName);
        return this;
    }

    @Override
    public Loaded<Verbs> verbs() {
        return of("libibverbs.so.1", verbs);
    }

    @Override
    public Loaded<Fabric> fabric() {
        return of("libfabric.so.1", fabric);
    }

    @Override
    public Loaded<Nvml> nvml() {
        return of("libnvidia-ml.so.1", nvml);
    }

    @Override
    public Loaded<AcceleratorRuntime> hip(List<String> candidates) {
        asked.add(candidates);
        return of(candidates.get(0), hip);
    }

    @Override
    public Loaded<AcceleratorRuntime> ascendCl(List<String> candidates) {
        asked.add(candidates);
        return of(candidates.get(0), acl);
    }

    @Override
    public Loaded<AcceleratorRuntime> cndrv(List<String> candidates) {
        asked.add(candidates);
        return of(candidates.get(0), cndrv);
    }

    /** The CUDA driver over a test double of libcuda (absent unless set). */
    public FakeLibraries cuda(io.mooncake.jna.cuda.Cuda c) {
        this.cuda = c;
        return this;
    }

    @Override
    public Loaded<io.mooncake.jna.cuda.Cuda> cuda() {
        return of("libcuda.so.1", cuda);
    }

    @Override
    public Loaded<String> library(List<String> candidates) {
        asked.add(candidates);
        for (String c : candidates) {
            String file = c.substring(c.lastIndexOf('/') + 1);
            if (present.contains(file)) {
                return Loaded.of(c, c);
            }
        }
        return Loaded.missing(candidates.get(0), candidates.get(0) + ": cannot open shared object file: No such file "
                + "or directory");
    }

    private static <T> Loaded<T> of(String name, T lib) {
        return lib != null ? Loaded.of(name, lib)
                : Loaded.missing(name, name + ": cannot open shared object file: No such file or directory");
    }
}
