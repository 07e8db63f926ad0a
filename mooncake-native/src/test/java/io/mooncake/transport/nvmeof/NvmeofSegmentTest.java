package io.mooncake.transport.nvmeof;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.metadata.SegmentDescriptorCodec;
import io.mooncake.engine.metadata.http.HttpMetadataServer;
import io.mooncake.transport.nvmeof.NvmeofSegment.NvmeofFile;
import io.mooncake.transport.nvmeof.NvmeofSegment.Piece;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The NVMe-oF segment descriptor in the reference's form, its file arithmetic and the operator tool. */
class NvmeofSegmentTest {

    static final NvmeofSegment TWO_FILES = new NvmeofSegment("nvmeof/pool0", List.of(
            new NvmeofFile("/data/a.img", 1000, Map.of("node-a:1", "/dev/nvme1n1", "node-b:1", "/mnt/a.img")),
            new NvmeofFile("/data/b.img", 500, Map.of("node-a:1", "/dev/nvme2n1"))));

    @Test
    void encodesInTheReferenceFormAndDecodesBack() {
        String json = TWO_FILES.encode();

        assertThat(json).isEqualTo("{\"buffers\":[{\"file_path\":\"/data/a.img\",\"length\":1000,\"local_path_map\":"
                + "{\"node-a:1\":\"/dev/nvme1n1\",\"node-b:1\":\"/mnt/a.img\"}},{\"file_path\":\"/data/b.img\","
                + "\"length\":500,\"local_path_map\":{\"node-a:1\":\"/dev/nvme2n1\"}}],\"name\":\"nvmeof/pool0\","
                + "\"protocol\":\"nvmeof\"}");
        assertThat(NvmeofSegment.decode(json)).isEqualTo(TWO_FILES);
        // The engine's own codec reads it too, keeping the nvmeof fields.
        SegmentDescriptor d = SegmentDescriptorCodec.decode(json);
        assertThat(d.protocol()).isEqualTo("nvmeof");
        assertThat(d.buffers()).hasSize(2);
        assertThat(d.buffers().get(1).extra().get("file_path").asString()).isEqualTo("/data/b.img");
    }

    @Test
    void rangesAreCutAtFileBoundariesOfTheConcatenation() {
        assertThat(TWO_FILES.length()).isEqualTo(1500);
        assertThat(TWO_FILES.locate(10, 20)).containsExactly(new Piece(0, 10, 0, 20));
        assertThat(TWO_FILES.locate(990, 30)).containsExactly(new Piece(0, 990, 0, 10), new Piece(1, 0, 10, 20));
        assertThat(TWO_FILES.locate(1000, 500)).containsExactly(new Piece(1, 0, 0, 500));
        assertThatThrownBy(() -> TWO_FILES.locate(1400, 101)).isInstanceOf(MooncakeException.class)
                .hasMessage("range [1400, +101) is outside nvmeof segment 'nvmeof/pool0' of 1500 bytes");
    }

    @Test
    void aPathMissingForThisNodeNamesTheFileTheNodeAndTheFix() {
        assertThat(TWO_FILES.localPath(0, "node-b:1")).isEqualTo("/mnt/a.img");
        assertThatThrownBy(() -> TWO_FILES.localPath(1, "node-b:1"))
                .hasMessageContaining("file /data/b.img has no local_path_map entry for this node 'node-b:1'")
                .hasMessageContaining("[node-a:1]").hasMessageContaining("--file /data/b.img:500:node-b:1=<path>");
    }

    @Test
    void badDescriptorsAreRefusedNamingTheField() {
        assertThatThrownBy(() -> NvmeofSegment.decode("{\"name\":\"nvmeof/x\",\"protocol\":\"tcp\",\"buffers\":[]}"))
                .hasMessageContaining("has protocol 'tcp', not nvmeof");
        assertThatThrownBy(() -> NvmeofSegment.decode("{\"name\":\"nvmeof/x\",\"protocol\":\"nvmeof\",\"buffers\":"
                + "[{\"file_path\":\"/f\",\"length\":-1}]}")).hasMessageContaining("file /f has length -1");
    }

    @Test
    void theOperatorToolWritesShowsAndDeletesTheDescriptorInTheMetadataService() throws Exception {
        try (HttpMetadataServer server = HttpMetadataServer.builder().host("127.0.0.1").port(0).start()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int rc = NvmeofRegister.run(new String[] {"--metadata_server=" + server.url(), "--name=pool0",
                "--file=/data/a.img:1000:node-a:1=/dev/nvme1n1,node-b:1=/mnt/a.img",
                "--file=/data/b.img:500:node-a:1=/dev/nvme2n1"}, new PrintStream(out), new PrintStream(err));

            assertThat(rc).as(err.toString()).isZero();
            HttpResponse<String> stored = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                    server.url() + "?key=" + URLEncoder.encode("mooncake/nvmeof/pool0", StandardCharsets.UTF_8)))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(NvmeofSegment.decode(stored.body())).isEqualTo(TWO_FILES);

            out.reset();
            assertThat(NvmeofRegister.run(new String[] {"--metadata_server=" + server.url(), "--name=pool0", "--show"},
                    new PrintStream(out), new PrintStream(err))).isZero();
            assertThat(out.toString()).startsWith("mooncake/nvmeof/pool0 = " + TWO_FILES.encode());

            assertThat(NvmeofRegister.run(new String[] {"--metadata_server=" + server.url(), "--name=pool0",
                "--delete"}, new PrintStream(out), new PrintStream(err))).isZero();
            err.reset();
            assertThat(NvmeofRegister.run(new String[] {"--metadata_server=" + server.url(), "--name=pool0", "--show"},
                    new PrintStream(out), new PrintStream(err))).isEqualTo(1);
            assertThat(err.toString()).contains("no nvmeof segment at mooncake/nvmeof/pool0");
        }
    }

    @Test
    void badFileSpecsAreRefusedWithTheExpectedForm() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = NvmeofRegister.run(new String[] {"--metadata_server=http://127.0.0.1:1/metadata", "--name=p",
            "--file=/data/a.img:lots:node-a=/dev/x"}, new PrintStream(new ByteArrayOutputStream()), new PrintStream(err));

        assertThat(rc).isEqualTo(2);
        assertThat(err.toString()).contains("length 'lots' is not a byte count");
    }
}
