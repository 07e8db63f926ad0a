package io.mooncake.engine.core.discovery;

import io.mooncake.engine.core.MooncakeEngine;
import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.SegmentHandle;
import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.testsupport.ChildProcess;
import io.mooncake.engine.testsupport.Engines;
import io.mooncake.engine.testsupport.TargetMain;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Whole engines finding each other through a real metadata service and moving data; one
 * subclass per backend (etcd, Redis, the embedded HTTP server).
 */
abstract class EngineDiscoveryContractTests {

    private final List<AutoCloseable> resources = new ArrayList<>();
    protected final String run = UUID.randomUUID().toString().substring(0, 8);

    /** The backend's connection string. */
    protected abstract String connectionString();

    @AfterEach
    void close() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    protected EngineConfig.Builder config(String name) {
        return Engines.loopback().metadataServer(connectionString()).localHostname(name).bindAddress("127.0.0.1")
                .metadataTtl(Duration.ofSeconds(2)).clusterId("it-" + run);
    }

    protected MooncakeEngine engine(String name) {
        MooncakeEngine e = MooncakeEngine.start(config(name).build());
        resources.add(e);
        return e;
    }

    protected ChildProcess child(String name) throws Exception {
        ChildProcess c = ChildProcess.start(TargetMain.class, String.valueOf(1 << 20), "0", connectionString(), name,
                "it-" + run);
        resources.add(c);
        return c;
    }

    @Test
    void threeEnginesOneInAnotherProcessFindEachOtherByNameAndMoveData() throws Exception {
        MooncakeEngine a = engine("node-a-" + run);
        MooncakeEngine b = engine("node-b-" + run);
        LocalBuffer la = a.allocateBuffer(1 << 20, "cpu:0");
        LocalBuffer lb = b.allocateBuffer(1 << 20, "cpu:0");
        ChildProcess c = child("node-c-" + run);
        assertThat(c.field(0)).isEqualTo("node-c-" + run);

        SegmentHandle toB = a.openSegment("node-b-" + run);
        SegmentHandle toC = a.openSegment("node-c-" + run);
        assertThat(toC.buffer(0).address()).isEqualTo(Long.parseLong(c.field(1)));

        la.byteBuffer().put(0, "to b and to c, via the metadata service".getBytes());
        a.transferSyncWrite("node-b-" + run, la.address(), toB.buffer(0).address() + 8, 40);
        a.transferSyncWrite("node-c-" + run, la.address(), toC.buffer(0).address() + 8, 40);
        byte[] atB = new byte[40];
        lb.byteBuffer().get(8, atB);
        assertThat(new String(atB).trim()).isEqualTo("to b and to c, via the metadata service");
        a.transferSyncRead("node-c-" + run, la.address() + 4096, toC.buffer(0).address() + 8, 40);
        byte[] fromC = new byte[40];
        la.byteBuffer().get(4096, fromC);
        assertThat(fromC).isEqualTo(atB);

        // And back the other way.
        SegmentHandle toA = b.openSegment("node-a-" + run);
        b.transferSyncWrite("node-a-" + run, lb.address() + 8, toA.buffer(0).address() + 8192, 40);
        byte[] atA = new byte[40];
        la.byteBuffer().get(8192, atA);
        assertThat(atA).isEqualTo(atB);
        assertThat(a.probe("node-c-" + run)).isTrue();
        a.sendNotify("node-b-" + run, "hello through rpc_meta");
        assertThat(b.getNotifies()).extracting(n -> n.message()).containsExactly("hello through rpc_meta");
    }

    @Test
    void peerRestartedUnderTheSameNameIsReResolvedAndGetsTheData() throws Exception {
        MooncakeEngine a = engine("node-a-" + run);
        LocalBuffer la = a.allocateBuffer(1 << 20, "cpu:0");
        String name = "node-r-" + run;
        ChildProcess first = child(name);
        SegmentHandle h = a.openSegment(name);
        a.transferSyncWrite(name, la.address(), h.buffer(0).address(), 16);
        first.kill();

        ChildProcess second = child(name);
        long newAddress = Long.parseLong(second.field(1));
        la.byteBuffer().put(0, "for the new one!".getBytes());
        // The old descriptor's data port is dead; the engine re-resolves the name.
        a.transferSyncWrite(name, la.address(), newAddress, 16);
        a.transferSyncRead(name, la.address() + 100, newAddress, 16);
        byte[] back = new byte[16];
        la.byteBuffer().get(100, back);
        assertThat(new String(back)).isEqualTo("for the new one!");
        assertThat(a.openSegment(name).buffer(0).address()).isEqualTo(newAddress);
    }

    @Test
    void unknownNameFailsWithTheBackendInTheMessage() {
        MooncakeEngine a = engine("node-a-" + run);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> a.openSegment("nobody-" + run))
                .isInstanceOf(io.mooncake.engine.api.SegmentNotFoundException.class)
                .hasMessageContaining("nobody-" + run);
    }
}
