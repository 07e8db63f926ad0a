package io.mooncake.transport.nvmeof;

import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.metadata.MetadataConnection;
import io.mooncake.engine.metadata.MetadataKeys;
import io.mooncake.engine.metadata.MetadataStore;
import io.mooncake.engine.metadata.kv.SegmentDirectories;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The operator tool that writes, shows and deletes NVMe-oF segment descriptors (the reference ships
 * {@code register.py} for this; engines never publish them):
 *
 * <pre>
 * mooncake-native/bin/mooncake-nvmeof-register --metadata_server=etcd://10.0.0.1:2379 [--cluster_id=ID] \
 *     --name=pool0 --file=/data/nvme0.img:1073741824:node-a:12001=/dev/nvme1n1,node-b:12001=/mnt/pool0/nvme0.img \
 *     [--file=...]                       # writes mooncake/[ID/]nvmeof/pool0
 * ... --name=pool0 --show                # prints it
 * ... --name=pool0 --delete              # removes it
 * </pre>
 *
 * {@code --file} is {@code FILE_PATH:LENGTH:NODE=PATH[,NODE=PATH...]}; NODE is the reading engine's
 * segment name (its {@code local_path_map} key). Exit status 0 on success, 2 on bad arguments, 1 when
 * the metadata service refuses.
 */
public final class NvmeofRegister {

    private NvmeofRegister() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the command; returns the exit status. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        Map<String, String> flags = new LinkedHashMap<>();
        List<String> files = new ArrayList<>();
        for (String a : args) {
            if (!a.startsWith("--")) {
                err.println("unexpected argument '" + a + "': flags are --name=value");
                return 2;
            }
            int eq = a.indexOf('=');
            String k = eq < 0 ? a.substring(2) : a.substring(2, eq);
            String v = eq < 0 ? "" : a.substring(eq + 1);
            if (k.equals("file")) {
                files.add(v);
            } else {
                flags.put(k, v);
            }
        }
        String server = flags.get("metadata_server");
        String name = flags.get("name");
        if (server == null || server.isBlank() || name == null || name.isBlank()) {
            err.println("--metadata_server and --name are required (e.g. --metadata_server=etcd://10.0.0.1:2379 "
                    + "--name=pool0 --file=/data/f.img:1073741824:node-a:12001=/dev/nvme1n1)");
            return 2;
        }
        String segment = NvmeofSegment.segmentName(name.trim());
        String key = MetadataKeys.forCluster(flags.get("cluster_id")).ram(segment);
        NvmeofSegment descriptor = null;
        if (!flags.containsKey("show") && !flags.containsKey("delete")) {
            try {
                descriptor = new NvmeofSegment(segment, parseFiles(files));
            } catch (IllegalArgumentException e) {
                err.println(e.getMessage());
                return 2;
            }
        }
        EngineConfig config = EngineConfig.builder().environment(System.getenv()).metadataServer(server).build();
        try (MetadataStore store = SegmentDirectories.openStore(MetadataConnection.parse(server), config,
                SegmentDirectories.providers(NvmeofRegister.class.getClassLoader()))) {
            if (flags.containsKey("show")) {
                Optional<byte[]> v = store.get(key);
                if (v.isEmpty()) {
                    err.println("no nvmeof segment at " + key + " in " + store.describe());
                    return 1;
                }
                NvmeofSegment s = NvmeofSegment.decode(new String(v.get(), StandardCharsets.UTF_8));
                out.println(key + " = " + s.encode());
                return 0;
            }
            if (flags.containsKey("delete")) {
                store.delete(key);
                out.println("deleted " + key + " from " + store.describe());
                return 0;
            }
            store.put(key, descriptor.encodeValue());
            out.println("wrote " + key + " to " + store.describe() + ": " + descriptor.encode());
            return 0;
        } catch (MooncakeException e) {
            err.println(e.getMessage());
            return 1;
        }
    }

    /** {@code FILE_PATH:LENGTH:NODE=PATH[,NODE=PATH...]} per file. */
    static List<NvmeofSegment.NvmeofFile> parseFiles(List<String> specs) {
        if (specs.isEmpty()) {
            throw new IllegalArgumentException("at least one --file=FILE_PATH:LENGTH:NODE=PATH[,NODE=PATH...] is required");
        }
        List<NvmeofSegment.NvmeofFile> out = new ArrayList<>();
        for (String spec : specs) {
            int c1 = spec.indexOf(':');
            int c2 = c1 < 0 ? -1 : spec.indexOf(':', c1 + 1);
            if (c1 <= 0 || c2 < 0) {
                throw new IllegalArgumentException("--file='" + spec + "' is not FILE_PATH:LENGTH:NODE=PATH[,NODE=PATH...]");
            }
            String path = spec.substring(0, c1);
            long length;
            try {
                length = Long.parseLong(spec.substring(c1 + 1, c2));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--file='" + spec + "': length '" + spec.substring(c1 + 1, c2)
                        + "' is not a byte count");
            }
            if (length <= 0) {
                throw new IllegalArgumentException("--file='" + spec + "': length must be > 0");
            }
            Map<String, String> map = new LinkedHashMap<>();
            for (String entry : spec.substring(c2 + 1).split(",")) {
                int eq = entry.indexOf('='); // node names hold no '=', paths may
                if (eq <= 0 || eq == entry.length() - 1) {
                    throw new IllegalArgumentException("--file='" + spec + "': local path entry '" + entry
                            + "' is not NODE=PATH");
                }
                map.put(entry.substring(0, eq), entry.substring(eq + 1));
            }
            out.add(new NvmeofSegment.NvmeofFile(path, length, map));
        }
        return out;
    }
}
