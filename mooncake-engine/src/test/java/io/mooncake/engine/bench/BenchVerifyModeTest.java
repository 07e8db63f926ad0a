package io.mooncake.engine.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.testsupport.FakeReferenceNode;
import java.io.File;
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
 * The bench's {@code --verify} mode, run as an operator runs it (its own JVM), against a target
 * that keeps data and one that corrupts what it serves. Against the real reference node it runs in
 * the interop tests.
 */
class BenchVerifyModeTest {

    @TempDir
    Path tmp;

    private record Outcome(int exitCode, String output) {
    }

    private Outcome verifyAgainst(FakeReferenceNode node) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), TransferEngineBench.class.getName(),
                "--mode=initiator", "--metadata_server=P2PHANDSHAKE", "--local_server_name=127.0.0.1",
                "--segment_id=" + node.segmentName(), "--verify", "--seed=42", "--block_size=4100",
                "--batch_size=4", "--threads=1", "--duration=1", "--buffer_size=1048576", "--latency=false"));
        File log = tmp.resolve("bench.log").toFile();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("bench finished").isTrue();
        return new Outcome(p.exitValue(), Files.readString(log.toPath(), StandardCharsets.UTF_8));
    }

    @Test
    void verifyPassesWhenTheTargetKeepsWhatWasWritten() throws Exception {
        try (FakeReferenceNode node = new FakeReferenceNode(0x7f0000000000L, 1 << 20, 2)) {
            Outcome o = verifyAgainst(node);
            assertThat(o.exitCode()).as(o.output()).isZero();
            assertThat(o.output()).contains("seed 42").contains("Data validation passed");
            assertThat(node.bodies).isNotEmpty();
        }
    }

    @Test
    void verifyFailsNamingTheBlockAndByteWhenTheTargetServesOtherBytes() throws Exception {
        try (FakeReferenceNode node = new FakeReferenceNode(0x7f0000000000L, 1 << 20, 2).corruptReads()) {
            Outcome o = verifyAgainst(node);
            assertThat(o.exitCode()).as(o.output()).isEqualTo(1);
            assertThat(o.output()).contains("Detect data integrity problem: worker 0, round 1, block 0")
                    .contains("byte 4099").doesNotContain("Data validation passed");
        }
    }
}
