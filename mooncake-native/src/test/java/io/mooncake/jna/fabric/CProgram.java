package io.mooncake.jna.fabric;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Compiles a C program of {@code src/test/c} against the installed libfabric-dev with the system
 * {@code cc} and runs it. CI installs gcc and libfabric-dev; a missing one fails the test with the
 * package to install.
 */
final class CProgram {

    static final String INSTALL = "install the Debian packages gcc libc6-dev libfabric-dev";

    private CProgram() {
    }

    static Path source(String name) {
        Path p = Path.of("src/test/c", name);
        assertThat(p).as("C source %s (tests run in the module directory)", p).exists();
        return p;
    }

    /** Compiles {@code src/test/c/<name>} into {@code dir} and returns the executable. */
    static Path compile(String name, Path dir, String... extra) throws IOException, InterruptedException {
        assertThat(Path.of("/usr/include/rdma/fabric.h")).as("libfabric headers: %s", INSTALL).exists();
        Path exe = dir.resolve(name.replace(".c", ""));
        List<String> cmd = new ArrayList<>(List.of("cc", "-O2", "-Wall", "-Werror", "-o", exe.toString(),
                source(name).toString()));
        cmd.addAll(List.of(extra));
        Result r = run(cmd, 120);
        assertThat(r.exit()).as("%s failed (%s):%n%s", String.join(" ", cmd), INSTALL, r.output()).isZero();
        return exe;
    }

    record Result(int exit, String output) {
    }

    static Result run(List<String> cmd, int timeoutSeconds) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("cannot start " + cmd.get(0) + " (" + INSTALL + "): " + e.getMessage(), e);
        }
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(cmd + " did not finish in " + timeoutSeconds + " s");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    static String read(Path p) throws IOException {
        return Files.readString(p);
    }
}
