package io.mooncake.jna.verbs;

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
 * Proves every struct offset, size and enum value the verbs binding uses against Debian's
 * headers: a C program printing each {@link Abi} expression is generated, compiled with the
 * system C compiler against {@code <infiniband/verbs.h>} (libibverbs-dev) and {@code <ffi.h>}
 * (libffi-dev), run, and compared with the Java constants. CI installs the compiler and headers
 * ({@code .ci/run}); without them this test fails and says what to install.
 */
class VerbsAbiTest {

    static final String INSTALL = "apt-get install -y gcc libc6-dev libibverbs-dev libffi-dev";

    static List<Constant> constants() throws IllegalAccessException {
        List<Constant> all = new ArrayList<>();
        for (Class<?> c : List.of(VerbsAbi.class, FfiCall.class)) {
            for (Field f : c.getDeclaredFields()) {
                Abi abi = f.getAnnotation(Abi.class);
                if (abi == null) {
                    continue;
                }
                f.setAccessible(true);
                all.add(new Constant(c.getSimpleName() + "." + f.getName(), abi.value(),
                        ((Number) f.get(null)).longValue()));
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

        CExpressions.assertEqualToC(dir, "#include <stddef.h>\n#include <infiniband/verbs.h>\n#include <ffi.h>\n",
                constants, INSTALL);
    }
}
