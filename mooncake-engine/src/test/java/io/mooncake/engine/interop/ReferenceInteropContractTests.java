package io.mooncake.engine.interop;

import io.mooncake.engine.core.MooncakeEngine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mooncake.engine.api.BatchResult;
import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.OpCode;
import io.mooncake.engine.api.SegmentHandle;
import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.api.TransferRequest;
import io.mooncake.engine.bench.TransferEngineBench;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.testsupport.Engines;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Our engine and the reference's own C++ programs moving data both ways over tcp, with contents
 * checked: our initiator (the engine's API, and the bench's verify mode) against a reference
 * target, and the reference's bench and validator against our target, at 4 KiB and 1 MiB. One
 * subclass per way of finding each other: P2PHANDSHAKE, the reference's Python metadata server,
 * and our HTTP metadata server.
 *
 * <p>One reference target and one target of ours serve all tests of a class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ReferenceInteropContractTests {

    static final long TARGET_BUFFER = 64L << 20;

    protected final String run = UUID.randomUUID().toString().substring(0, 8);
    protected ReferenceNode reference;
    /** Why this class's tests are not run here, or null. */
    private String notRun;
    protected ReferenceNode.Target referenceTarget;
    protected MooncakeEngine ourTarget;
    protected LocalBuffer ourTargetBuffer;
    private final List<AutoCloseable> resources = new ArrayList<>();

    /** The metadata connection string both sides use; called once, after {@link #reference} is set. */
    protected abstract String metadata() throws IOException;

    /** Our engine's configuration under this metadata mode. */
    protected EngineConfig.Builder ourConfig(String name) throws IOException {
        String md = metadata();
        EngineConfig.Builder b = Engines.loopback().metadataServer(md);
        return "P2PHANDSHAKE".equals(md) ? b : b.localHostname(name).bindAddress("127.0.0.1");
    }

    /** Environment of every reference process (store modes advertise loopback). */
    protected Map<String, String> referenceEnv() throws IOException {
        return "P2PHANDSHAKE".equals(metadata()) ? Map.of() : Map.of("MC_TCP_BIND_ADDRESS", "127.0.0.1");
    }

    /** A reference process's --local_server_name. */
    protected String referenceName(String role) throws IOException {
        return "P2PHANDSHAKE".equals(metadata()) ? "127.0.0.1:" + ReferenceNode.freePort() : "ref-" + role + "-" + run;
    }

    @BeforeAll
    void startTargets() throws Exception {
        notRun = ReferenceNode.notRunReason();
        if (notRun != null) {
            System.err.println(getClass().getSimpleName() + ": " + notRun);
            return;
        }
        reference = ReferenceNode.locate();
        referenceTarget = closeLater(reference.startTarget(metadata(), referenceName("target"), TARGET_BUFFER,
                referenceEnv()));
        ourTarget = closeLater(MooncakeEngine.start(ourConfig("java-target-" + run).build()));
        ourTargetBuffer = ourTarget.allocateBuffer(TARGET_BUFFER, "cpu:0");
    }

    @BeforeEach
    void onlyWithTheReferenceNode() {
        assumeTrue(notRun == null, notRun);
    }

    @AfterAll
    void stopTargets() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    protected <T extends AutoCloseable> T closeLater(T resource) {
        resources.add(resource);
        return resource;
    }

    // ---- our initiator, reference target ----------------------------------------------------------

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {4096, 1 << 20})
    void ourInitiatorWritesToAReferenceTargetAndReadsTheSameBytesBack(int block) throws Exception {
        int blocks = 16;
        try (MooncakeEngine us = MooncakeEngine.start(ourConfig("java-initiator-" + block + "-" + run).build())) {
            LocalBuffer local = us.allocateBuffer(2L * blocks * block, "cpu:0");
            SegmentHandle seg = us.openSegment(referenceTarget.segment());
            assertThat(seg.buffers()).isNotEmpty();
            long remote = seg.buffer(0).address();
            byte[] pattern = new byte[blocks * block];
            new Random(block * 31L + run.hashCode()).nextBytes(pattern);
            ByteBuffer view = local.byteBuffer();
            view.put(0, pattern);

            List<TransferRequest> writes = new ArrayList<>();
            List<TransferRequest> reads = new ArrayList<>();
            for (int i = 0; i < blocks; i++) {
                long off = (long) i * block;
                writes.add(new TransferRequest(OpCode.WRITE, local.address() + off, seg.id(), remote + off, block));
                reads.add(new TransferRequest(OpCode.READ, local.address() + (long) blocks * block + off, seg.id(),
                        remote + off, block));
            }
            BatchResult w = us.submit(writes).await(Duration.ofSeconds(30));
            assertThat(w.allCompleted()).as("writes to the reference target: %s", w.firstFailure()).isTrue();
            BatchResult r = us.submit(reads).await(Duration.ofSeconds(30));
            assertThat(r.allCompleted()).as("reads from the reference target: %s", r.firstFailure()).isTrue();

            byte[] back = new byte[blocks * block];
            view.get(blocks * block, back);
            assertThat(back).as("bytes read back from the reference target").isEqualTo(pattern);
        }
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {4096, 1 << 20})
    void ourBenchVerifyModePassesAgainstAReferenceTarget(int block) throws Exception {
        BenchRun b = ourBench("--mode=initiator", "--metadata_server=" + metadata(),
                "--local_server_name=" + ourName("bench-" + block), "--segment_id=" + referenceTarget.segment(),
                "--verify", "--block_size=" + block, "--batch_size=16", "--threads=2", "--duration=1",
                "--buffer_size=" + (32L << 20), "--latency=false");
        assertThat(b.exitCode).as("our bench --verify against the reference target: %s", b.output).isZero();
        assertThat(b.output).contains("Data validation passed").doesNotContain("Detect data integrity problem");
    }

    // ---- reference initiators, our target ---------------------------------------------------------

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {4096, 1 << 20})
    void referenceValidatorPassesAgainstOurTarget(int block) throws Exception {
        ReferenceNode.Result r = reference.runInitiator(true, metadata(), referenceName("validator"),
                ourTarget.localSegmentName(), "write", block, 16, 2, 1, referenceEnv());
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.validationPassed()).as(r.describe()).isTrue();
        assertThat(r.batches()).as(r.describe()).isPositive();
    }

    @ParameterizedTest(name = "{0} of {1} bytes")
    @CsvSource({"write, 4096", "read, 4096", "write, 1048576", "read, 1048576"})
    void referenceBenchInitiatorMovesDataIntoAndOutOfOurTarget(String operation, int block) throws Exception {
        Map<String, Object> before = ourTarget.transportStats().get("tcp");
        ReferenceNode.Result r = reference.runInitiator(false, metadata(), referenceName("bench"),
                ourTarget.localSegmentName(), operation, block, 16, 1, 1, referenceEnv());
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.batches()).as(r.describe()).isPositive();
        Map<String, Object> after = ourTarget.transportStats().get("tcp");
        String counter = operation.equals("write") ? "appliedWrites" : "servedReadBytes";
        assertThat((Long) after.get(counter)).as("our target's %s", counter).isGreaterThan((Long) before.get(counter));
    }

    // ---- helpers ----------------------------------------------------------------------------------

    protected String ourName(String role) throws IOException {
        return "P2PHANDSHAKE".equals(metadata()) ? "127.0.0.1" : "java-" + role + "-" + run;
    }

    /** How a run of our bench in its own JVM ended. */
    record BenchRun(int exitCode, String output) {
    }

    /** Runs our bench ({@link TransferEngineBench}) in a child JVM to its end. */
    static BenchRun ourBench(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(TransferEngineBench.class.getName());
        cmd.addAll(List.of(args));
        File log = Files.createTempFile(Path.of("target", "interop-logs"), "java-bench-", ".log").toFile();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        String out = Files.readString(log.toPath(), StandardCharsets.UTF_8);
        return new BenchRun(p.isAlive() ? -1 : p.exitValue(), out);
    }
}
