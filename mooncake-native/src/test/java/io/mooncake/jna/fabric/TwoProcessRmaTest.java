package io.mooncake.jna.fabric;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * RMA write and read between endpoints in two processes, at the binding level: the peer
 * ({@link FabricPeerMain}) publishes its endpoint address, buffer address and key as the efa
 * transport's descriptor and handshake would; this process inserts the address, writes 1 MiB in
 * 64 KiB operations (16 in flight) into the peer's first half, reads its second half back, and the
 * peer checks what arrived. Runs on {@code tcp;ofi_rxm} over loopback and on {@code shm}.
 */
class TwoProcessRmaTest {

    static final int HALF = 1 << 20;
    static final int OP = 64 << 10;

    @ParameterizedTest
    @CsvSource({"tcp;ofi_rxm, lo", "shm, "})
    void writeAndReadBetweenTwoProcesses(String provider, String domain) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.java(), "-cp", System.getProperty("java.class.path")));
        if (Runtime.version().feature() >= 22) {
            cmd.add(1, "--enable-native-access=ALL-UNNAMED");
        }
        cmd.addAll(List.of(FabricPeerMain.class.getName(), provider, domain == null ? "-" : domain,
                Integer.toString(HALF)));
        Process peer = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(peer.getInputStream(), StandardCharsets.US_ASCII));
                PrintStream in = new PrintStream(peer.getOutputStream(), true, StandardCharsets.US_ASCII)) {
            String ready = out.readLine();
            assertThat(ready).as("peer's first line").startsWith("READY ");
            String[] f = ready.split(" ");
            byte[] peerAddress = HexFormat.of().parseHex(f[1]);
            long peerBuf = Long.parseLong(f[2]);
            long peerKey = Long.parseLong(f[3]);

            try (RdmEndpoint ep = RdmEndpointTest.fabric().open(RdmEndpoint.Hints.of(provider, domain));
                    Memory src = new Memory(HALF); Memory back = new Memory(HALF); OpContexts ctx = new OpContexts(16);
                    RdmEndpoint.PollBuffer poll = new RdmEndpoint.PollBuffer(16)) {
                for (int i = 0; i < HALF; i++) {
                    src.setByte(i, FabricPeerMain.pattern(i, 5));
                }
                back.clear();
                long fiAddr = ep.insert(peerAddress);
                try (RdmEndpoint.Registration rs = ep.register(Pointer.nativeValue(src), HALF, RdmEndpoint.ACCESS_LOCAL);
                        RdmEndpoint.Registration rb = ep.register(Pointer.nativeValue(back), HALF,
                                RdmEndpoint.ACCESS_LOCAL)) {
                    run(ep, ctx, poll, true, rs, fiAddr, ep.remoteAddress(peerBuf, peerBuf), peerKey);
                    run(ep, ctx, poll, false, rb, fiAddr, ep.remoteAddress(peerBuf + HALF, peerBuf), peerKey);
                }
                for (int i = 0; i < HALF; i++) {
                    if (back.getByte(i) != FabricPeerMain.pattern(i, 2)) {
                        throw new AssertionError("read: byte " + i + " differs");
                    }
                }
            }
            in.println("CHECK 5");
            assertThat(out.readLine()).as("peer's check of the written half").isEqualTo("OK");
            in.println("EXIT");
        } finally {
            if (!peer.waitFor(30, TimeUnit.SECONDS)) {
                peer.destroyForcibly();
            }
        }
        assertThat(peer.exitValue()).as("peer exit status").isZero();
    }

    /** Posts HALF bytes in OP-sized operations, up to the context pool in flight, and waits for all. */
    private static void run(RdmEndpoint ep, OpContexts ctx, RdmEndpoint.PollBuffer poll, boolean write,
            RdmEndpoint.Registration local, long peer, long remote, long key) {
        int ops = HALF / OP;
        int[] done = {0};
        List<String> failures = new ArrayList<>();
        RdmEndpoint.Completions sink = new RdmEndpoint.Completions() {
            @Override
            public void completed(long context, long length) {
                ctx.release(ctx.slotOf(context));
                done[0]++;
            }

            @Override
            public void failed(long context, int error, int providerError, String text) {
                ctx.release(ctx.slotOf(context));
                failures.add(text);
                done[0]++;
            }
        };
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int posted = 0;
        while (done[0] < ops) {
            assertThat(System.nanoTime()).as("%d of %d operations done within 60 s", done[0], ops).isLessThan(deadline);
            if (posted < ops) {
                int slot = ctx.acquire();
                if (slot >= 0) {
                    long off = (long) posted * OP;
                    long rc = write
                            ? ep.write(local.address() + off, OP, local.descriptor(), peer, remote + off, key, ctx.address(slot))
                            : ep.read(local.address() + off, OP, local.descriptor(), peer, remote + off, key, ctx.address(slot));
                    if (rc == 0) {
                        posted++;
                    } else {
                        ctx.release(slot);
                        assertThat(rc).as("post: %s", ep.strerror(rc)).isEqualTo(-FabricAbi.FI_EAGAIN);
                    }
                }
            }
            ep.poll(poll, sink);
        }
        assertThat(failures).isEmpty();
    }

    /** The java launcher of this JVM. */
    static final class Path {
        static String java() {
            return java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString();
        }
    }
}
