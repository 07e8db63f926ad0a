package io.mooncake.engine.testsupport;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A JVM child running a main class of the test classpath, with its READY line parsed. */
public final class ChildProcess implements AutoCloseable {

    private final Process process;
    private final String[] ready;

    private ChildProcess(Process process, String[] ready) {
        this.process = process;
        this.ready = ready;
    }

    /** Starts {@code mainClass} and waits (at most 30 s) for its {@code READY ...} line. */
    public static ChildProcess start(Class<?> mainClass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        cmd.add("-Xmx256m");
        cmd.add("--enable-native-access=ALL-UNNAMED"); // as the tests' own JVM (pom.xml); JDK 17 ignores it
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass.getName());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith("READY ")) {
                return new ChildProcess(p, line.substring(6).split(" "));
            }
            if (System.nanoTime() > deadline) {
                break;
            }
        }
        p.destroyForcibly();
        throw new IOException("child " + mainClass.getSimpleName() + " did not print READY");
    }

    /** The fields after READY. */
    public String field(int i) {
        return ready[i];
    }

    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        kill();
    }
}
