package io.mooncake.engine.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.metadata.HostPort;
import io.mooncake.engine.metadata.MetadataConnection;
import io.mooncake.engine.metadata.RpcMeta;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.metadata.SegmentDescriptorCodec;
import io.mooncake.engine.rpc.HandshakeFrame;
import java.io.ByteArrayInputStream;
import java.io.IOException;

/**
 * Everything peers and metadata services send is parsed by these; whatever the bytes, they
 * either parse or fail with the engine's own exception, never with anything else.
 *
 * <p>Runs the seed inputs in {@code verify}; {@code JAZZER_FUZZ=1} fuzzes.
 */
class ParserFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void descriptorsParseOrAreRejectedAndRoundTripWhenParsed(byte[] data) {
        SegmentDescriptor d;
        try {
            d = SegmentDescriptorCodec.decode(data);
        } catch (MooncakeException rejected) {
            return;
        }
        SegmentDescriptor again = SegmentDescriptorCodec.decode(SegmentDescriptorCodec.encode(d));
        assertThat(again.sameContent(d)).as("re-encoded descriptor reads back the same").isTrue();
    }

    @FuzzTest(maxDuration = "60s")
    void handshakeFramesParseOrEndCleanly(byte[] data) {
        try {
            HandshakeFrame f = HandshakeFrame.readFrom(new ByteArrayInputStream(data), 1 << 20);
            assertThat(f.type()).isNotNull();
            HandshakeFrame back = HandshakeFrame.readFrom(new ByteArrayInputStream(f.encode()), 1 << 20);
            assertThat(back.type()).isEqualTo(f.type());
        } catch (IOException | MooncakeException expected) {
            // truncated, oversized or zero-length: the server closes the connection
        }
    }

    @FuzzTest(maxDuration = "30s")
    void namesAndConnectionStringsParseOrAreRejected(FuzzedDataProvider data) {
        String s = data.consumeRemainingAsString();
        try {
            HostPort hp = HostPort.parse(s);
            assertThat(hp.port()).isBetween(-1, 65535);
        } catch (MooncakeException expected) {
            // not host[:port]
        }
        try {
            MetadataConnection c = MetadataConnection.parse(s);
            assertThat(c.scheme()).isIn("p2p", "etcd", "http", "https", "redis");
        } catch (MooncakeException expected) {
            // not a supported form
        }
        try {
            RpcMeta.decode(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (MooncakeException expected) {
            // not an rpc_meta document
        }
    }
}
