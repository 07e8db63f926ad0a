package io.mooncake.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Checks Java constants of a binding (struct sizes, offsets, enum values) against the C compiler:
 * a program printing each constant's C expression is generated, compiled with the system
 * {@code cc -std=gnu11 -Wall -Werror} against the vendor headers Debian ships, run, and its answers
 * compared with the Java values. A missing compiler or header fails, saying what to install.
 */
public final class CExpressions {

    /** A Java constant, its name in messages and the C expression it must equal. */
    public record Constant(String name, String expression, long value) {
    }

    private CExpressions() {
    }

    /**
     * Asserts that every constant equals its expression compiled after {@code prelude} (the
     * {@code #define}s and {@code #include}s the expressions need), in {@code dir}.
     *
     * @param install the command that installs the compiler and headers, for failure messages
     */
    public static void assertEqualToC(Path dir, String prelude, List<Constant> constants, String install)
            throws IOException, InterruptedException {
        StringBuilder c = new StringBuilder(prelude).append("#include <stdio.h>\nint main(void) {\n");
        for (Constant k : constants) {
            c.append("  printf(\"%s %ld\\n\", \"").append(k.name()).append("\", (long)(").append(k.expression())
                    .append("));\n");
        }
        c.append("  return 0;\n}\n");
        Path src = dir.resolve("abi.c");
        Files.writeString(src, c);
        Path exe = dir.resolve("abi");

        String compiled = run(dir, install, "cc", "-std=gnu11", "-Wall", "-Werror", "-o", exe.toString(),
                src.toString());
        String out = run(dir, install, exe.toString());

        Map<String, Long> fromC = new HashMap<>();
        for (String line : out.split("\n")) {
            String[] p = line.trim().split(" ");
            fromC.put(p[0], Long.parseLong(p[1]));
        }
        assertThat(compiled).as("compiler warnings").isEmpty();
        for (Constant k : constants) {
            assertThat(fromC.get(k.name())).as("%s = %s", k.name(), k.expression()).isEqualTo(k.value());
        }
    }

    private static String run(Path dir, String install, String... command) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command[0] + " (" + install + "): " + e.getMessage(), e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command[0] + " did not finish in 60 s");
        }
        assertThat(p.exitValue()).as("%s exited with %s:%n%s%n(%s)", command[0], p.exitValue(), out, install).isZero();
        return out;
    }
}
