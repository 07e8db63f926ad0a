package io.mooncake.jna.fabric;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cause of the JVM crash recorded in the module README ("SIGSEGV at exit on JDK 25 with
 * libfabric and another library loaded"): Debian's libfabric links {@code libinfinipath.so.4},
 * whose constructor replaces the JVM's {@code SIGSEGV}, {@code SIGBUS}, {@code SIGILL},
 * {@code SIGABRT}, {@code SIGINT} and {@code SIGTERM} handlers. The next fault the JVM raises on
 * purpose (an implicit null check in compiled code, on any JDK) then kills the process. Each JDK
 * under {@code /usr/lib/jvm} (17 and Temurin 25 here and in CI) runs a child process.
 */
class SignalHandlerGuardTest {

    @Test
    void afterLoadingLibfabricAndOpeningAnShmEndpointTheJvmStillOwnsSigsegv() {
        assertThat(JnaFabric.load().isLoaded()).isTrue();
        JnaFabric.load().library().open(RdmEndpoint.Hints.of("shm", null)).close();

        assertThat(SignalHandlerGuard.handlerOwner(11)).as("SIGSEGV handler").endsWith("libjvm.so");
        assertThat(SignalHandlerGuard.handlerOwner(7)).as("SIGBUS handler").endsWith("libjvm.so");
    }

    @TestFactory
    Stream<DynamicTest> hotNullPointerExceptionsAfterLoadingLibfabricDoNotKillTheJvm(@TempDir Path dir) {
        return jdks().stream().map(java -> DynamicTest.dynamicTest(java.toString(), () -> {
            CProgram.Result r = child(java, dir, "guarded");

            assertThat(r.exit()).as(r.output()).isZero();
            assertThat(r.output()).contains("npes=499840").containsPattern("sigsegv handler in .*libjvm\\.so");
        }));
    }

    @TestFactory
    Stream<DynamicTest> withoutTheGuardTheFirstHotNullPointerExceptionKillsTheJvm(@TempDir Path dir) {
        assumeTrue(Files.exists(Path.of("/lib/x86_64-linux-gnu/libinfinipath.so.4"))
                || Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libinfinipath.so.4")),
                "libinfinipath.so.4 (Debian's libfabric dependency that replaces the handlers) is not installed");
        return jdks().stream().map(java -> DynamicTest.dynamicTest(java.toString(), () -> {
            CProgram.Result r = child(java, dir, "raw");

            assertThat(r.exit()).as(r.output()).isNotZero();
            assertThat(r.output()).contains("terminated with signal 11").doesNotContain("npes=");
        }));
    }

    private static CProgram.Result child(Path java, Path dir, String mode) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(java.toString()));
        if (major(java) >= 22) {
            cmd.add("--enable-native-access=ALL-UNNAMED");
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), FaultAfterLoadMain.class.getName(), mode));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        int exit = p.waitFor();
        return new CProgram.Result(exit, new String(out, StandardCharsets.UTF_8));
    }

    /** This JVM, and every other JDK 17+ under /usr/lib/jvm. */
    static List<Path> jdks() {
        List<Path> all = new ArrayList<>();
        all.add(Path.of(System.getProperty("java.home"), "bin", "java"));
        try (Stream<Path> s = Files.list(Path.of("/usr/lib/jvm"))) {
            s.filter(d -> !Files.isSymbolicLink(d)).map(d -> d.resolve("bin/java")).filter(Files::isExecutable)
                    .filter(j -> major(j) >= 17).forEach(j -> {
                        if (all.stream().noneMatch(a -> sameJdk(a, j))) {
                            all.add(j);
                        }
                    });
        } catch (IOException e) {
            // only this JVM
        }
        return all;
    }

    private static boolean sameJdk(Path a, Path b) {
        try {
            return a.toRealPath().equals(b.toRealPath());
        } catch (IOException e) {
            return false;
        }
    }

    static int major(Path java) {
        Path release = java.getParent().getParent().resolve("release");
        try {
            for (String line : Files.readAllLines(release)) {
                if (line.startsWith("JAVA_VERSION=")) {
                    String v = line.substring("JAVA_VERSION=".length()).replace("\"", "");
                    return Integer.parseInt(v.split("[.+-]")[0]);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }
}
