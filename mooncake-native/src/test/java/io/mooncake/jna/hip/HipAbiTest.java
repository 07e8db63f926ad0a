package io.mooncake.jna.hip;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the sizes, offsets and enum values of {@link HipAbi} against Debian 12's ROCm 5.2 headers
 * ({@code libamdhip64-dev}): a C program printing every {@link HipAbi.C} expression is generated,
 * compiled with the system C compiler and run, and its output compared with the Java constants.
 * CI installs the compiler and the headers ({@code .ci/run}); without them this test fails and
 * says what to install.
 */
class HipAbiTest {

    static final String INSTALL = "apt-get install -y gcc libc6-dev libamdhip64-dev";

    record Constant(String name, String expression, long value) {
    }

    static List<Constant> constants() throws IllegalAccessException {
        List<Constant> all = new ArrayList<>();
        for (Field f : HipAbi.class.getDeclaredFields()) {
            HipAbi.C c = f.getAnnotation(HipAbi.C.class);
            if (c != null) {
                all.add(new Constant(f.getName(), c.value(), ((Number) f.get(null)).longValue()));
            }
        }
        return all;
    }

    @Test
    void everyVersion5ConstantNamesItsCExpressionAndVersion6OnesAreDocumented() {
        for (Field f : HipAbi.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class && !f.getName().endsWith("_V6")) {
                assertThat(f.getAnnotation(HipAbi.C.class)).as("@HipAbi.C on HipAbi.%s", f.getName()).isNotNull();
            }
        }
    }

    @Test
    void constantsEqualWhatTheCCompilerComputesFromTheRocmHeaders(@TempDir Path dir) throws Exception {
        assertThat(Path.of("/usr/include/hip/hip_runtime_api.h")).as("hip_runtime_api.h missing: " + INSTALL).exists();
        List<Constant> constants = constants();
        assertThat(constants).hasSizeGreaterThan(20);

        StringBuilder c = new StringBuilder("#define __HIP_PLATFORM_AMD__ 1\n#include <stddef.h>\n#include <stdio.h>\n"
                + "#include <hip/hip_runtime_api.h>\n#include <hip/hip_version.h>\nint main(void) {\n");
        for (Constant k : constants) {
            c.append("  printf(\"%s %ld\\n\", \"").append(k.name()).append("\", (long)(").append(k.expression())
                    .append("));\n");
        }
        c.append("  return 0;\n}\n");
        Path src = dir.resolve("hip_abi.c");
        Files.writeString(src, c);
        Path exe = dir.resolve("hip_abi");

        String compiled = run(dir, "cc", "-std=gnu11", "-Wall", "-Werror", "-o", exe.toString(), src.toString());
        String out = run(dir, exe.toString());

        Map<String, Long> fromC = new HashMap<>();
        for (String line : out.split("\n")) {
            String[] p = line.trim().split(" ");
            fromC.put(p[0], Long.parseLong(p[1]));
        }
        assertThat(compiled).isEmpty();
        for (Constant k : constants) {
            assertThat(fromC.get(k.name())).as("HipAbi.%s = %s", k.name(), k.expression()).isEqualTo(k.value());
        }
    }

    @Test
    void rocm6NumberingIsChosenByTheRuntimeVersion() {
        int rocm52 = 50_221_153;
        int rocm62 = 60_241_134;
        assertThat(HipAbi.memoryType(HipAbi.MEMORY_TYPE_DEVICE_V5, rocm52)).isEqualTo(Hip.MemoryType.DEVICE);
        assertThat(HipAbi.memoryType(HipAbi.MEMORY_TYPE_DEVICE_V6, rocm62)).isEqualTo(Hip.MemoryType.DEVICE);
        assertThat(HipAbi.memoryType(1, rocm52)).isEqualTo(Hip.MemoryType.DEVICE);
        assertThat(HipAbi.memoryType(1, rocm62)).isEqualTo(Hip.MemoryType.HOST);
        assertThat(HipAbi.memoryType(0, rocm62)).isEqualTo(Hip.MemoryType.UNREGISTERED);
        assertThat(HipAbi.memoryType(10, rocm62)).isEqualTo(Hip.MemoryType.ARRAY);
        assertThat(HipAbi.memoryType(10, rocm52)).isEqualTo(Hip.MemoryType.UNKNOWN);
        assertThat(HipAbi.ipcLazyEnablePeerAccess(rocm52)).isZero();
        assertThat(HipAbi.ipcLazyEnablePeerAccess(rocm62)).isEqualTo(1);
        assertThat(HipAbi.describeVersion(rocm52)).isEqualTo("5.2.21153");
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
