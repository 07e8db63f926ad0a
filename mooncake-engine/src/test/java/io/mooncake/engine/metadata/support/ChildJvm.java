package io.mooncake.engine.metadata.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Starts a main class of the test classpath in a child JVM and waits for a line on its stdout. */
public final class ChildJvm implements AutoCloseable {

    private final Process process;
    private final StringBuffer output = new StringBuffer();
    private final CompletableFuture<Void> ready = new CompletableFuture<>();

    private ChildJvm(Process process, String readyLine) {
        this.process = process;
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    output.append(line).append('\n');
                    if (line.startsWith(readyLine)) {
                        ready.complete(null);
                    }
                }
            } catch (IOException e) {
                // process gone
            }
            ready.completeExceptionally(new IllegalStateException("child JVM ended before printing '" + readyLine
                    + "':\n" + output));
        }, "child-jvm-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts {@code mainClass} with {@code args}; returns once it printed a line starting with {@code readyLine}. */
    public static ChildJvm start(Class<?> mainClass, String readyLine, Duration within, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-Xshare:auto");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass.getName());
        cmd.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ChildJvm child = new ChildJvm(p, readyLine);
        try {
            child.ready.get(within.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            child.kill();
            throw new IllegalStateException("child JVM " + mainClass.getSimpleName() + " not ready within " + within
                    + ": " + e + "\n" + child.output, e);
        }
        return child;
    }

    /** Kills the child with SIGKILL, as a crash would, and waits for it to end. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** What the child printed so far. */
    public String output() {
        return output.toString();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
    }
}
