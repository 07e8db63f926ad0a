package io.mooncake.jna.fabric;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every offset, size, flag and error number of {@link FabricAbi} against the C compiler's answer
 * for the installed libfabric headers ({@code src/test/c/fabric_abi.c}): ABI drift fails here.
 */
class FabricAbiTest {

    @Test
    void everyConstantMatchesTheInstalledHeaders(@TempDir Path dir) throws Exception {
        Path exe = CProgram.compile("fabric_abi.c", dir);
        CProgram.Result r = CProgram.run(List.of(exe.toString()), 30);
        assertThat(r.exit()).as(r.output()).isZero();

        Map<String, Long> c = new LinkedHashMap<>();
        for (String line : r.output().split("\n")) {
            String[] kv = line.trim().split(" ");
            c.put(kv[0], Long.parseUnsignedLong(kv[1]));
        }
        Map<String, Long> java = new LinkedHashMap<>();
        for (Field f : FabricAbi.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && (f.getType() == long.class || f.getType() == int.class)) {
                java.put(f.getName(), ((Number) f.get(null)).longValue());
            }
        }

        // Layouts only grow: newer headers than the ones the binding was written for are fine.
        assertThat(c.remove("HEADER_VERSION")).as("libfabric-dev headers older than 1.17")
                .isGreaterThanOrEqualTo((long) java.remove("HEADER_VERSION"));
        assertThat(new TreeSet<>(java.keySet())).as("constants in FabricAbi and fabric_abi.c")
                .isEqualTo(new TreeSet<>(c.keySet()));
        assertThat(java).as("FabricAbi against the headers").containsExactlyInAnyOrderEntriesOf(c);
        assertThat(c).hasSizeGreaterThan(90);
    }
}
