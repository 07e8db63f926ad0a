package io.mooncake.engine.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mooncake.engine.testsupport.ChildProcess;
import io.mooncake.engine.testsupport.TargetMain;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Defect 6 of issue 17 (bench): the target dies while the bench runs a 10-minute initiator. The
 * bench must stop at the first failed transfer, say so, report no (diluted) throughput and exit
 * with a non-zero status, instead of idling until {@code --duration} ends.
 */
class BenchFatalFailureTest {

    @TempDir
    Path tmp;

    @Test
    void aFailedTransferStopsTheBenchAtOnceWithStatusOne() throws Exception {
        Process bench;
        File log = tmp.resolve("bench.log").toFile();
        try (ChildProcess target = ChildProcess.start(TargetMain.class, String.valueOf(1 << 20))) {
            List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                    "-cp", System.getProperty("java.class.path"), TransferEngineBench.class.getName(),
                    "--mode=initiator", "--metadata_server=P2PHANDSHAKE", "--local_server_name=127.0.0.1",
                    "--segment_id=" + target.field(0), "--operation=write", "--block_size=4096", "--batch_size=4",
                    "--threads=2", "--duration=600", "--buffer_size=1048576", "--latency=false");
            bench = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log).start();
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(log.toPath()).contains("Route to"));
            target.kill();
        }
        // The transfer timeout is 30 s; the bench must end long before its 600 s duration.
        boolean ended = bench.waitFor(120, TimeUnit.SECONDS);
        String output = Files.readString(log.toPath(), StandardCharsets.UTF_8);
        if (!ended) {
            bench.destroyForcibly();
        }
        assertThat(ended).as("bench stopped after the target died:%n%s", output).isTrue();
        assertThat(bench.exitValue()).as(output).isEqualTo(1);
        assertThat(output).contains("Batch failed").contains("Bench stopped after")
                .contains("No throughput is reported").doesNotContain("Test completed");
    }
}
