package io.mooncake.engine.interop;

import io.mooncake.engine.core.MooncakeEngine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.metadata.RpcMeta;
import io.mooncake.engine.metadata.SegmentDescriptorCodec;
import io.mooncake.engine.testsupport.ChildProcess;
import io.mooncake.engine.testsupport.TargetMain;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Interop through an HTTP metadata server, plus what a node does with its own keys there: it
 * writes {@code rpc_meta} once and only its descriptor afterwards, comes back after being killed
 * under the same name, and is refused, with the rule and the fix, a name a live node holds.
 */
abstract class MetadataServerInteropContractTests extends ReferenceInteropContractTests {

    private byte[] raw(String key) throws Exception {
        return ReferenceNode.httpGet(metadata(), key);
    }

    @Test
    void everyBufferRegistrationRepublishesTheDescriptorAndRpcMetaStaysAsFirstWritten() throws Exception {
        String name = "java-regs-" + run;
        try (MooncakeEngine node = MooncakeEngine.start(ourConfig(name).build())) {
            LocalBuffer a = node.allocateBuffer(1 << 20, "cpu:0");
            LocalBuffer b = node.allocateBuffer(1 << 20, "cpu:0");
            LocalBuffer c = node.allocateBuffer(1 << 20, "cpu:0");
            c.close();

            assertThat(RpcMeta.decode(raw("mooncake/rpc_meta/" + name)))
                    .isEqualTo(new RpcMeta("127.0.0.1", node.rpcPort()));
            assertThat(SegmentDescriptorCodec.decode(raw("mooncake/ram/" + name)).buffers())
                    .extracting(x -> x.addr()).containsExactlyInAnyOrder(a.address(), b.address());
        }
        assertThat(raw("mooncake/rpc_meta/" + name)).as("withdrawn on close").isNull();
        assertThat(raw("mooncake/ram/" + name)).as("withdrawn on close").isNull();
    }

    @Test
    void ourNodeKilledAndRestartedUnderTheSameNameComesBackAndTheReferenceValidatorReachesIt() throws Exception {
        String name = "java-restart-" + run;
        String length = String.valueOf(32 << 20);
        ChildProcess first = closeLater(ChildProcess.start(TargetMain.class, length, "0", metadata(), name));
        RpcMeta before = RpcMeta.decode(raw("mooncake/rpc_meta/" + name));
        first.kill(); // SIGKILL: no withdrawal, its keys stay behind
        assertThat(raw("mooncake/rpc_meta/" + name)).as("keys left by the killed node").isNotNull();

        ChildProcess second = closeLater(ChildProcess.start(TargetMain.class, length, "0", metadata(), name));

        RpcMeta after = RpcMeta.decode(raw("mooncake/rpc_meta/" + name));
        assertThat(after).isNotEqualTo(before);
        assertThat(SegmentDescriptorCodec.decode(raw("mooncake/ram/" + name)).buffers().get(0).addr())
                .isEqualTo(Long.parseLong(second.field(1)));
        ReferenceNode.Result r = reference.runInitiator(true, metadata(), referenceName("validator-restart"), name,
                "write", 4096, 16, 1, 1, referenceEnv());
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.validationPassed()).as(r.describe()).isTrue();
        second.kill();
    }

    @Test
    void aSecondNodeUnderTheNameOfALiveOneIsRefusedWithTheRuleAndTheFixAndTheFirstKeepsIt() throws Exception {
        String name = "java-twice-" + run;
        try (MooncakeEngine first = MooncakeEngine.start(ourConfig(name).build())) {
            first.allocateBuffer(1 << 20, "cpu:0");
            assertThatThrownBy(() -> MooncakeEngine.start(ourConfig(name).build()))
                    .hasMessageContaining("segment name '" + name + "' is taken")
                    .hasMessageContaining("mooncake/rpc_meta/" + name)
                    .hasMessageContaining("127.0.0.1:" + first.rpcPort())
                    .hasMessageContaining("give this node another local hostname");

            assertThat(RpcMeta.decode(raw("mooncake/rpc_meta/" + name)))
                    .isEqualTo(new RpcMeta("127.0.0.1", first.rpcPort()));
            assertThat(new String(raw("mooncake/ram/" + name), StandardCharsets.UTF_8)).contains("\"buffers\":[{");
            ReferenceNode.Result r = reference.runInitiator(true, metadata(), referenceName("validator-twice"), name,
                    "write", 4096, 16, 1, 1, referenceEnv());
            assertThat(r.validationPassed()).as(r.describe()).isTrue();
        }
    }
}
