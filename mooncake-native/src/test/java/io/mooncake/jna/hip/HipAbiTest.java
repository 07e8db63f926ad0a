package io.mooncake.jna.hip;

import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.testing.CExpressions;
import io.mooncake.testing.CExpressions.Constant;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

    static List<Constant> constants() throws IllegalAccessException {
        List<Constant> all = new ArrayList<>();
        for (Field f : HipAbi.class.getDeclaredFields()) {
            HipAbi.C c = f.getAnnotation(HipAbi.C.class);
            if (c != null) {
                all.add(new Constant("HipAbi." + f.getName(), c.value(), ((Number) f.get(null)).longValue()));
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

        CExpressions.assertEqualToC(dir, "#define __HIP_PLATFORM_AMD__ 1\n#include <stddef.h>\n"
                + "#include <hip/hip_runtime_api.h>\n#include <hip/hip_version.h>\n", constants, INSTALL);
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
}
