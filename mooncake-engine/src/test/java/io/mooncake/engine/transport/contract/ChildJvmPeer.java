package io.mooncake.engine.transport.contract;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;

/**
 * A {@link Peer} in its own JVM ({@link ContractPeerMain} on the test class path), controlled over
 * its standard input and output. {@link #kill()} is SIGKILL; {@link #stopAnswering()} is SIGSTOP
 * (sent with {@code sh -c kill}), so its sockets stay open and the kernel keeps accepting bytes
 * nobody reads. The child's standard error is copied to this JVM's, prefixed with its segment name.
 *
 * <p>Control calls are serialized; they fail rather than block once the peer was killed or stopped.
 */
public final class ChildJvmPeer implements Peer {

    /** JVM options of this JVM that the child needs too (native access, Unsafe, library paths). */
    private static final List<String> INHERITED_OPTIONS = List.of("--enable-native-access",
            "--sun-misc-unsafe-memory-access", "--add-opens", "--add-exports", "-Djava.library.path", "-Djna.");

    private static final long START_TIMEOUT_SECONDS = 60;
    private static final long CALL_TIMEOUT_SECONDS = 60;

    private final Process process;
    private final BufferedReader out;
    private final Writer in;
    private final String segmentName;
    private final long address;
    private final long length;
    private volatile boolean stopped;
    private volatile boolean closed;

    private ChildJvmPeer(Process process, BufferedReader out, String[] ready) {
        this.process = process;
        this.out = out;
        this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        this.segmentName = ready[0];
        this.address = Long.parseLong(ready[1]);
        this.length = Long.parseLong(ready[2]);
    }

    /**
     * Starts a peer running {@code protocol} with the loopback test configuration
     * ({@link io.mooncake.engine.testsupport.Engines#allTransports()}).
     */
    public static ChildJvmPeer start(long bufferBytes, String protocol) {
        return start(bufferBytes, protocol, null);
    }

    /**
     * Starts a peer running {@code protocol}, its configuration adjusted by {@code configurer}: a
     * class with a no-argument constructor, instantiated in the child (so a lambda will not do).
     */
    public static ChildJvmPeer start(long bufferBytes, String protocol,
            Class<? extends UnaryOperator<io.mooncake.engine.config.EngineConfig.Builder>> configurer) {
        return start(bufferBytes, protocol, configurer, "cpu:0");
    }

    /**
     * Starts a peer whose buffer lies at {@code location} ({@code cuda:0}: device memory, filled
     * and checked through the device module's copies).
     */
    public static ChildJvmPeer start(long bufferBytes, String protocol,
            Class<? extends UnaryOperator<io.mooncake.engine.config.EngineConfig.Builder>> configurer,
            String location) {
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        cmd.add("-Xmx128m");
        cmd.add("-XX:+UseSerialGC"); // fewer GC threads on small CI machines
        for (String option : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (INHERITED_OPTIONS.stream().anyMatch(option::startsWith)) {
                cmd.add(option);
            }
        }
        cmd.add("-D" + ContractPeerMain.LOCATION + "=" + location);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(ContractPeerMain.class.getName());
        cmd.add(Long.toString(bufferBytes));
        cmd.add(protocol);
        if (configurer != null) {
            cmd.add(configurer.getName());
        }
        Process p;
        try {
            p = new ProcessBuilder(cmd).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start a peer JVM: " + cmd, e);
        }
        copyErrors(p.getErrorStream(), "peer-" + p.pid());
        BufferedReader reader = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String[]> ready = CompletableFuture.supplyAsync(() -> {
            try {
                String line;
                while ((line = reader.readLine()) != null) {
                    if (line.startsWith("READY ")) {
                        return line.substring(6).split(" ");
                    }
                }
                return null;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        try {
            String[] fields = ready.get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (fields == null) {
                p.waitFor(10, TimeUnit.SECONDS);
                throw new IllegalStateException("peer JVM exited before it was ready (exit "
                        + (p.isAlive() ? "pending" : p.exitValue()) + "); its standard error is above");
            }
            return new ChildJvmPeer(p, reader, fields);
        } catch (TimeoutException | ExecutionException | RuntimeException e) {
            p.destroyForcibly();
            throw new IllegalStateException("peer JVM did not become ready within " + START_TIMEOUT_SECONDS + " s", e);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting a peer JVM", e);
        }
    }

    private static void copyErrors(InputStream errors, String name) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(errors, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    System.err.println("[" + name + "] " + line);
                }
            } catch (IOException e) {
                // the child is gone
            }
        }, name + "-stderr");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public String segmentName() {
        return segmentName;
    }

    @Override
    public long bufferAddress() {
        return address;
    }

    @Override
    public long bufferLength() {
        return length;
    }

    /** The child's process id. */
    public long pid() {
        return process.pid();
    }

    @Override
    public void fill(long offset, long length, long seed) {
        String reply = call("FILL " + offset + " " + length + " " + seed);
        if (!reply.equals("OK")) {
            throw new IllegalStateException("peer " + segmentName + " could not fill: " + reply);
        }
    }

    @Override
    public void verify(long offset, long length, long seed) {
        String reply = call("VERIFY " + offset + " " + length + " " + seed);
        if (!reply.equals("OK")) {
            throw new AssertionError("peer " + segmentName + " memory [" + offset + ", " + (offset + length)
                    + ") does not hold the pattern of seed " + seed + ": " + reply);
        }
    }

    private synchronized String call(String command) {
        if (stopped || closed || !process.isAlive()) {
            throw new IllegalStateException("peer " + segmentName + " is " + (stopped ? "stopped" : "gone")
                    + "; cannot run " + command);
        }
        CompletableFuture<String> reply = CompletableFuture.supplyAsync(() -> {
            try {
                in.write(command + "\n");
                in.flush();
                String line;
                while ((line = out.readLine()) != null) {
                    if (line.startsWith("R ")) {
                        return line.substring(2);
                    }
                }
                return "ERROR the peer exited";
            } catch (IOException e) {
                return "ERROR " + e;
            }
        });
        try {
            return reply.get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            kill();
            throw new IllegalStateException("peer " + segmentName + " did not answer " + command + " within "
                    + CALL_TIMEOUT_SECONDS + " s; killed it");
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public boolean stopAnswering() {
        signal("STOP");
        stopped = true;
        return true;
    }

    private void signal(String name) {
        try {
            Process k = new ProcessBuilder("sh", "-c", "kill -" + name + " " + process.pid()).inheritIO().start();
            if (!k.waitFor(30, TimeUnit.SECONDS) || k.exitValue() != 0) {
                throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run sh -c kill", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (!stopped && process.isAlive()) {
            try {
                synchronized (this) {
                    in.write("QUIT\n");
                    in.flush();
                    in.close();
                }
                process.waitFor(20, TimeUnit.SECONDS);
            } catch (IOException e) {
                // already gone
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        closed = true;
        kill();
    }

    @Override
    public String toString() {
        return "child JVM " + process.pid() + " serving " + segmentName;
    }
}
