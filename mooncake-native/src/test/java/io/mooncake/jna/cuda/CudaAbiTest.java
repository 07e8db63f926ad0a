package io.mooncake.jna.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks {@link CudaAbi} against a real {@code cuda.h}: compiles a C program printing the sizes and
 * offsets this binding depends on, and compares. Debian ships no CUDA headers, so this runs where a
 * CUDA toolkit is installed ({@code $CUDA_HOME/include}, {@code /usr/local/cuda/include}: the GPU
 * machine) and skips elsewhere naming what is missing; the numbers in {@link CudaAbi} were read off
 * cuda.h 13.0.0 (see its comment).
 */
class CudaAbiTest {

    private static final String PROGRAM = """
            #include <stdio.h>
            #include <stddef.h>
            #include <cuda.h>
            int main(void) {
              printf("%zu %zu %zu %zu %zu\\n", sizeof(CUipcMemHandle), sizeof(CUmemFabricHandle),
                     sizeof(CUmemAllocationProp), sizeof(CUmemAccessDesc), sizeof(CUmemLocation));
              printf("%zu %zu %zu %zu %zu %zu\\n", offsetof(CUmemAllocationProp, type),
                     offsetof(CUmemAllocationProp, requestedHandleTypes), offsetof(CUmemAllocationProp, location),
                     offsetof(CUmemAllocationProp, win32HandleMetaData),
                     offsetof(CUmemAllocationProp, allocFlags.gpuDirectRDMACapable), offsetof(CUmemAccessDesc, flags));
              printf("%d %d %d %d %d %d %d %d\\n", (int) CU_POINTER_ATTRIBUTE_MEMORY_TYPE,
                     (int) CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL, (int) CU_POINTER_ATTRIBUTE_RANGE_START_ADDR,
                     (int) CU_POINTER_ATTRIBUTE_RANGE_SIZE, (int) CU_MEMORYTYPE_DEVICE,
                     (int) CU_MEM_HANDLE_TYPE_FABRIC, (int) CU_DEVICE_ATTRIBUTE_HANDLE_TYPE_FABRIC_SUPPORTED,
                     (int) CU_MEMHOSTALLOC_PORTABLE);
              return 0;
            }
            """;

    @Test
    void layoutsAndConstantsMatchTheToolkitsCudaH(@TempDir Path dir) throws Exception {
        Path include = null;
        List<String> candidates = new ArrayList<>();
        String home = System.getenv("CUDA_HOME");
        if (home != null) {
            candidates.add(home + "/include");
        }
        candidates.add("/usr/local/cuda/include");
        for (String c : candidates) {
            if (Files.exists(Path.of(c, "cuda.h"))) {
                include = Path.of(c);
                break;
            }
        }
        assumeTrue(include != null, "no cuda.h (looked in " + candidates + "): a CUDA toolkit is needed to "
                + "check the layouts against the header");
        String cc = Files.isExecutable(Path.of("/usr/bin/cc")) ? "/usr/bin/cc"
                : Files.isExecutable(Path.of("/usr/bin/gcc")) ? "/usr/bin/gcc" : null;
        assumeTrue(cc != null, "no C compiler (/usr/bin/cc, /usr/bin/gcc) to compile the layout check");
        Path src = dir.resolve("abi.c");
        Files.writeString(src, PROGRAM);
        Path exe = dir.resolve("abi");
        run(List.of(cc, "-I" + include, "-o", exe.toString(), src.toString()));
        String[] lines = run(List.of(exe.toString())).trim().split("\n");
        assertThat(lines[0].trim()).isEqualTo(CudaAbi.IPC_HANDLE_BYTES + " " + CudaAbi.FABRIC_HANDLE_BYTES + " "
                + CudaAbi.MEM_ALLOCATION_PROP_BYTES + " " + CudaAbi.MEM_ACCESS_DESC_BYTES + " 8");
        assertThat(lines[1].trim()).isEqualTo(CudaAbi.PROP_TYPE + " " + CudaAbi.PROP_REQUESTED_HANDLE_TYPES + " "
                + CudaAbi.PROP_LOCATION_TYPE + " " + CudaAbi.PROP_WIN32_META + " "
                + CudaAbi.PROP_GPU_DIRECT_RDMA_CAPABLE + " " + CudaAbi.ACCESS_FLAGS);
        assertThat(lines[2].trim()).isEqualTo(CudaAbi.POINTER_ATTRIBUTE_MEMORY_TYPE + " "
                + CudaAbi.POINTER_ATTRIBUTE_DEVICE_ORDINAL + " " + CudaAbi.POINTER_ATTRIBUTE_RANGE_START_ADDR + " "
                + CudaAbi.POINTER_ATTRIBUTE_RANGE_SIZE + " " + CudaAbi.MEMORYTYPE_DEVICE + " "
                + CudaAbi.MEM_HANDLE_TYPE_FABRIC + " " + CudaAbi.DEVICE_ATTRIBUTE_HANDLE_TYPE_FABRIC_SUPPORTED + " "
                + CudaAbi.MEMHOSTALLOC_PORTABLE);
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("%s: %s", command, out).isZero();
        return out;
    }
}
