package io.mooncake.jna.cufile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The layouts {@link LibCufile} hard-codes, against the machine's {@code cufile.h}: a C program
 * compiled with it prints the sizes and offsets. Debian ships no {@code cufile.h} (it comes with
 * NVIDIA's CUDA toolkit), so this runs on the GPU machine and is skipped, saying so, elsewhere;
 * {@code -Dmooncake.test.requireGds=true} makes it mandatory.
 */
class CuFileAbiTest {

    static final List<Path> INCLUDES = List.of(Path.of("/usr/local/cuda/include"),
            Path.of("/usr/local/cuda/targets/x86_64-linux/include"), Path.of("/usr/local/cuda/targets/sbsa-linux/include"),
            Path.of("/usr/include"));

    @TempDir
    Path dir;

    @Test
    void descriptorAndErrorLayoutsMatchCufileH() throws Exception {
        Path include = INCLUDES.stream().filter(p -> Files.exists(p.resolve("cufile.h"))).findFirst().orElse(null);
        if (Boolean.getBoolean("mooncake.test.requireGds")) {
            assertThat(include).as("mooncake.test.requireGds is set but no cufile.h in %s", INCLUDES).isNotNull();
        }
        assumeThat(include).as("no cufile.h in %s (it ships with NVIDIA's CUDA toolkit, not Debian)", INCLUDES)
                .isNotNull();
        Path c = dir.resolve("abi.c");
        Files.writeString(c, """
                #include <stdio.h>
                #include <stddef.h>
                #include <cufile.h>
                int main(void) {
                    printf("%zu %zu %zu %zu %zu %d %d\\n", sizeof(CUfileDescr_t), offsetof(CUfileDescr_t, type),
                        offsetof(CUfileDescr_t, handle), offsetof(CUfileDescr_t, fs_ops), sizeof(CUfileError_t),
                        (int) CU_FILE_HANDLE_TYPE_OPAQUE_FD, (int) CU_FILE_DRIVER_NOT_INITIALIZED);
                    return 0;
                }
                """);
        Path exe = dir.resolve("abi");
        Process cc = new ProcessBuilder("cc", "-I" + include, "-I" + include.getParent().resolve("include"), "-o",
                exe.toString(), c.toString()).redirectErrorStream(true).start();
        String ccOut = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(cc.waitFor(60, TimeUnit.SECONDS) && cc.exitValue() == 0).as("cc: %s", ccOut).isTrue();
        Process run = new ProcessBuilder(exe.toString()).start();
        String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        run.waitFor(30, TimeUnit.SECONDS);

        assertThat(out).isEqualTo(LibCufile.DESCR_SIZE + " " + LibCufile.DESCR_TYPE + " " + LibCufile.DESCR_HANDLE + " "
                + LibCufile.DESCR_FS_OPS + " 8 " + LibCufile.CU_FILE_HANDLE_TYPE_OPAQUE_FD + " "
                + (LibCufile.CUFILEOP_BASE_ERR + 1));
    }
}
