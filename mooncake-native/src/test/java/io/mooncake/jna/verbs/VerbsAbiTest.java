package io.mooncake.jna.verbs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves every struct offset, size and enum value the verbs binding uses against Debian's
 * headers: a C program printing each {@link Abi} expression is generated, compiled with the
 * system C compiler against {@code <infiniband/verbs.h>} (libibverbs-dev) and {@code <ffi.h>}
 * (libffi-dev), run, and compared with the Java constants. CI installs the compiler and headers
 * ({@code .ci/run}); without them this test fails and says what to install.
 */
class VerbsAbiTest {

    static final String INSTALL = "apt-get install -y gcc libc6-dev libibverbs-dev libffi-dev";

    record Constant(String owner, String name, String expression, long value) {
    }

    static List<Constant> constants() throws IllegalAccessException {
        List<Constant> all = new ArrayList<>();
        for (Class<?> c : List.of(VerbsAbi.class, FfiCall.class)) {
            for (Field f : c.getDeclaredFields()) {
                Abi abi = f.getAnnotation(Abi.class);
                if (abi == null) {
                    continue;
                }
                f.setAccessible(true);
                all.add(new Constant(c.getSimpleName(), f.getName(), abi.value(), ((Number) f.get(null)).longValue()));
            }
        }
        return all;
    }

    @Test
    void everyVerbsAbiConstantNamesItsCExpression() {
        for (Field f : VerbsAbi.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class) {
                assertThat(f.getAnnotation(Abi.class)).as("@Abi on VerbsAbi.%s", f.getName()).isNotNull();
            }
        }
    }

    @Test
    void constantsEqualWhatTheCCompilerComputesFromTheHeaders(@TempDir Path dir) throws Exception {
        assertThat(Path.of("/usr/include/infiniband/verbs.h")).as("verbs.h missing: " + INSTALL).exists();
        List<Constant> constants = constants();
        assertThat(constants).hasSizeGreaterThan(150);

        StringBuilder c = new StringBuilder("#include <stddef.h>\n#include <stdio.h>\n#include <infiniband/verbs.h>\n"
                + "#include <ffi.h>\nint main(void) {\n");
        for (Constant k : constants) {
            c.append("  printf(\"%s.%s %ld\\n\", \"").append(k.owner()).append("\", \"").append(k.name())
                    .append("\", (long)(").append(k.expression()).append("));\n");
        }
        c.append("  return 0;\n}\n");
        Path src = dir.resolve("abi.c");
        Files.writeString(src, c);
        Path exe = dir.resolve("abi");

        String compiled = run(dir, "cc", "-std=gnu11", "-Wall", "-Werror", "-o", exe.toString(), src.toString());
        String out = run(dir, exe.toString());

        Map<String, Long> native_ = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            String[] p = line.trim().split(" ");
            native_.put(p[0], Long.parseLong(p[1]));
        }
        assertThat(compiled).isEmpty();
        for (Constant k : constants) {
            assertThat(native_.get(k.owner() + "." + k.name())).as("%s.%s = %s", k.owner(), k.name(), k.expression())
                    .isEqualTo(k.value());
        }
    }

    private static String run(Path dir, String... command) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command[0] + " (" + INSTALL + "): " + e.getMessage(), e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("%s exited with %s:%n%s%n(%s)", command[0], p.exitValue(), out, INSTALL).isZero();
        return out;
    }
}
