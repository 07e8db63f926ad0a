package io.mooncake.engine.interop;

import static org.assertj.core.api.Assertions.fail;

import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.metadata.SegmentDescriptorCodec;
import io.mooncake.engine.rpc.HandshakeClient;
import io.mooncake.engine.rpc.HandshakeType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * The reference's own programs (built from its C++ source, in {@code reference-node/} of the
 * shared directory CI places beside the clone): its bench as target or initiator, its data
 * validator, and its Python HTTP metadata server, started as real processes on loopback.
 *
 * <p>Where to find them: {@code -Dmooncake.reference.node=DIR} or {@code MOONCAKE_REFERENCE_NODE},
 * else {@code ../shared/reference-node} beside the repository. When that directory is absent the
 * tests say they were not run and why (a JUnit assumption); with
 * {@code MOONCAKE_INTEROP_REQUIRED=1} (set by {@code .ci/run}) or
 * {@code -Dmooncake.interop.required=true} its absence fails them instead. When it is present,
 * anything that keeps a reference program from starting fails the test with the program's own
 * output.
 *
 * <p>Each process's output goes to {@code target/interop-logs/}; its path is in every failure.
 */
final class ReferenceNode {

    /** Debian packages the programs need at run time (the reference node's README). */
    static final String RUNTIME_PACKAGES = "libgoogle-glog0v6 libgflags2.2 libjsoncpp25 libnuma1 libibverbs1 libcurl4"
            + " libunwind8 python3-aiohttp";

    private static final Pattern P2P_LISTENING = Pattern.compile("listening on (\\S+):(\\d+)");
    private static final Pattern COMPLETED = Pattern.compile("Test completed: duration ([0-9.]+), batch count (\\d+)");

    private final Path home;
    private final Path logs;

    private ReferenceNode(Path home, Path logs) {
        this.home = home;
        this.logs = logs;
    }

    /**
     * Why the interop tests cannot run here (the reference node's directory is absent), or
     * {@code null} when they can; fails instead when they are required.
     */
    static String notRunReason() {
        Path home = configuredHome();
        if (Files.isDirectory(home)) {
            return null;
        }
        if (required()) {
            fail("the reference node is required (MOONCAKE_INTEROP_REQUIRED / mooncake.interop.required) but " + home
                    + " does not exist; CI places the shared directory beside the clone");
        }
        return "Interop test against the reference C++ node NOT RUN: " + home + " does not exist. CI provides it as"
                + " ../shared/reference-node beside the clone; elsewhere point -Dmooncake.reference.node (or"
                + " MOONCAKE_REFERENCE_NODE) at a reference-node directory.";
    }

    /** The reference node; call after {@link #notRunReason()} returned null. Fails if it is incomplete. */
    static ReferenceNode locate() {
        Path home = configuredHome();
        for (String bin : List.of("bin/transfer_engine_bench", "bin/transfer_engine_validator",
                "metadata/serve.py")) {
            if (!Files.isRegularFile(home.resolve(bin))) {
                fail("the reference node at " + home + " lacks " + bin);
            }
        }
        Path logs = Path.of("target", "interop-logs").toAbsolutePath();
        try {
            Files.createDirectories(logs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ReferenceNode(home, logs);
    }

    private static Path configuredHome() {
        String explicit = System.getProperty("mooncake.reference.node", System.getenv("MOONCAKE_REFERENCE_NODE"));
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit).toAbsolutePath().normalize();
        }
        return repositoryRoot().resolveSibling("shared").resolve("reference-node");
    }

    /** The clone's root: the nearest directory up from here holding the Maven wrapper. */
    static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("mvnw")) && Files.isDirectory(p.resolve("mooncake-engine"))) {
                return p;
            }
        }
        return dir;
    }

    private static boolean required() {
        return Boolean.getBoolean("mooncake.interop.required")
                || "1".equals(System.getenv("MOONCAKE_INTEROP_REQUIRED"))
                || "true".equalsIgnoreCase(System.getenv("MOONCAKE_INTEROP_REQUIRED"));
    }

    // ---- programs -------------------------------------------------------------------------------

    /**
     * Starts the reference bench as a target and waits until it serves.
     *
     * @param metadata {@code P2PHANDSHAKE} or an HTTP metadata URL
     * @param name its {@code --local_server_name} (under P2P only the host counts)
     */
    Target startTarget(String metadata, String name, long bufferSize, Map<String, String> env) throws IOException {
        List<String> cmd = List.of(home.resolve("bin/transfer_engine_bench").toString(), "--mode=target",
                "--protocol=tcp", "--metadata_server=" + metadata, "--local_server_name=" + name,
                "--buffer_size=" + bufferSize);
        Proc p = start("reference-target", cmd, env);
        String segment;
        String host;
        int port;
        if ("P2PHANDSHAKE".equals(metadata)) {
            Matcher m = p.await(P2P_LISTENING, "the handshake listener");
            host = m.group(1);
            port = Integer.parseInt(m.group(2));
            segment = host + ":" + port;
        } else {
            Matcher m = p.await(Pattern.compile("listening on (\\S+):(\\d+)"), "the handshake listener");
            host = m.group(1);
            port = Integer.parseInt(m.group(2));
            segment = name;
        }
        // It logs nothing once its buffer is registered: ask it for its descriptor until one is there.
        HandshakeClient client = new HandshakeClient(Duration.ofSeconds(2), Duration.ofSeconds(5), 1 << 20);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String last = "";
        while (true) {
            try {
                int buffers;
                if ("P2PHANDSHAKE".equals(metadata)) {
                    JsonNode d = client.call(host, port, HandshakeType.METADATA,
                            SegmentDescriptorCodec.toTree(SegmentDescriptor.tcp("interop-probe", 1, 2, List.of())));
                    buffers = d.path("buffers").size();
                } else {
                    byte[] d = httpGet(metadata, "mooncake/ram/" + name);
                    buffers = d == null ? 0 : SegmentDescriptorCodec.decode(d).buffers().size();
                }
                if (buffers > 0) {
                    return new Target(p, segment);
                }
                last = "a descriptor without buffers";
            } catch (RuntimeException e) {
                last = e.getMessage();
            }
            if (!p.process.isAlive() || System.nanoTime() > deadline) {
                p.close();
                fail("the reference target published no buffer within 30 s (last answer: " + last + "); its output, in "
                        + p.log + ":\n" + p.tail());
            }
            sleep(Duration.ofMillis(50));
        }
    }

    /**
     * Runs the reference bench ({@code validator} false) or validator as an initiator to its end.
     *
     * @param operation read or write (the validator ignores it: it always writes then reads back)
     */
    Result runInitiator(boolean validator, String metadata, String name, String segment, String operation,
            int blockSize, int batchSize, int threads, int durationSeconds, Map<String, String> env)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(
                home.resolve(validator ? "bin/transfer_engine_validator" : "bin/transfer_engine_bench").toString(),
                "--mode=initiator", "--protocol=tcp", "--metadata_server=" + metadata,
                "--local_server_name=" + name, "--segment_id=" + segment, "--block_size=" + blockSize,
                "--batch_size=" + batchSize, "--threads=" + threads, "--duration=" + durationSeconds,
                "--buffer_size=" + Math.max(16L << 20, (long) blockSize * batchSize * threads)));
        if (!validator) {
            cmd.add("--operation=" + operation);
        }
        Proc p = start(validator ? "reference-validator" : "reference-initiator-" + operation, cmd, env);
        if (!p.process.waitFor(durationSeconds + 60L, TimeUnit.SECONDS)) {
            p.process.destroyForcibly();
            fail("reference initiator did not finish within " + (durationSeconds + 60) + " s; its output: "
                    + p.log + "\n" + p.tail());
        }
        String out = p.output();
        Matcher m = COMPLETED.matcher(out);
        long batches = m.find() ? Long.parseLong(m.group(2)) : -1;
        return new Result(p.process.exitValue(), batches, out, p.log);
    }

    /** Starts the reference's Python HTTP metadata server on a free port and waits until it answers. */
    MetadataServer startMetadataServer() throws IOException {
        Path python = Path.of("/usr/bin/python3");
        if (!Files.isExecutable(python)) {
            fail("/usr/bin/python3 is missing; the reference metadata server needs Debian's python3 with"
                    + " python3-aiohttp");
        }
        int port = freePort();
        Proc p = start("reference-metadata", List.of(python.toString(), home.resolve("metadata/serve.py").toString(),
                String.valueOf(port)), Map.of());
        String url = "http://127.0.0.1:" + port + "/metadata";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            if (!p.process.isAlive()) {
                fail("the reference metadata server exited with status " + p.process.exitValue() + " (is "
                        + "python3-aiohttp installed? apt-get install -y " + RUNTIME_PACKAGES + "); its output, in "
                        + p.log + ":\n" + p.tail());
            }
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create(url + "?key=probe").toURL().openConnection();
                c.setConnectTimeout(500);
                c.setReadTimeout(2000);
                int status = c.getResponseCode();
                c.disconnect();
                if (status == 404) {
                    return new MetadataServer(p, url);
                }
            } catch (IOException notYet) {
                // still starting
            }
            if (System.nanoTime() > deadline) {
                p.close();
                fail("the reference metadata server did not answer at " + url + " within 30 s; its output, in "
                        + p.log + ":\n" + p.tail());
            }
            sleep(Duration.ofMillis(100));
        }
    }

    private Proc start(String what, List<String> cmd, Map<String, String> env) throws IOException {
        Path log = Files.createTempFile(logs, what + "-", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> e = new LinkedHashMap<>(env);
        e.putIfAbsent("GLOG_logtostderr", "1");
        pb.environment().putAll(e);
        Process process;
        try {
            process = pb.start();
        } catch (IOException ex) {
            fail("cannot start " + cmd.get(0) + ": " + ex.getMessage());
            throw ex;
        }
        return new Proc(what, process, log);
    }

    /** The value under {@code key} at an HTTP metadata server, or null when it has none. */
    static byte[] httpGet(String url, String key) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(url + "?key="
                    + java.net.URLEncoder.encode(key, StandardCharsets.UTF_8)).toURL().openConnection();
            c.setConnectTimeout(1000);
            c.setReadTimeout(3000);
            try {
                if (c.getResponseCode() != 200) {
                    return null;
                }
                return c.getInputStream().readAllBytes();
            } finally {
                c.disconnect();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    // ---- handles --------------------------------------------------------------------------------

    /** A started reference process and its log. */
    static final class Proc implements AutoCloseable {
        final String what;
        final Process process;
        final Path log;

        Proc(String what, Process process, Path log) {
            this.what = what;
            this.process = process;
            this.log = log;
        }

        String output() {
            try {
                return Files.readString(log, StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(cannot read " + log + ": " + e + ")";
            }
        }

        String tail() {
            String out = output();
            return out.length() > 4000 ? "..." + out.substring(out.length() - 4000) : out;
        }

        /** Waits (30 s at most) for a line matching {@code pattern}; fails with the output if the process exits first. */
        Matcher await(Pattern pattern, String what) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                Matcher m = pattern.matcher(output());
                if (m.find()) {
                    return m;
                }
                if (!process.isAlive()) {
                    fail("the reference " + this.what + " exited with status " + process.exitValue() + " before "
                            + what + " (missing runtime packages? apt-get install -y " + RUNTIME_PACKAGES
                            + "); its output, in " + log + ":\n" + tail());
                }
                if (System.nanoTime() > deadline) {
                    fail("the reference " + this.what + " showed no " + what + " within 30 s; its output, in " + log
                            + ":\n" + tail());
                }
                sleep(Duration.ofMillis(50));
            }
        }

        @Override
        public void close() {
            if (process.isAlive()) {
                process.destroy(); // SIGTERM: the reference target removes its keys and exits
                try {
                    if (!process.waitFor(5, TimeUnit.SECONDS)) {
                        process.destroyForcibly();
                        process.waitFor(5, TimeUnit.SECONDS);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    process.destroyForcibly();
                }
            }
        }
    }

    /** A reference target: its process and the segment name initiators open. */
    record Target(Proc proc, String segment) implements AutoCloseable {
        @Override
        public void close() {
            proc.close();
        }
    }

    /** The reference's Python metadata server. */
    record MetadataServer(Proc proc, String url) implements AutoCloseable {
        @Override
        public void close() {
            proc.close();
        }
    }

    /** How a reference initiator run ended. */
    record Result(int exitCode, long batches, String output, Path log) {

        boolean validationPassed() {
            return output.contains("Data validation passed") && !output.contains("Detect data integrity problem");
        }

        /** For assertion messages. */
        String describe() {
            String tail = output.length() > 3000 ? "..." + output.substring(output.length() - 3000) : output;
            return "exit " + exitCode + ", batches " + batches + ", log " + log + ":\n" + tail;
        }
    }
}
