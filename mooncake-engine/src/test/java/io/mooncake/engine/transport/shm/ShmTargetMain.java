package io.mooncake.engine.transport.shm;

import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.core.MooncakeEngine;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * A target engine in its own process running every transport: allocates a buffer (in shared
 * memory when shm runs), fills it with a seeded pattern, prints {@code READY <segment> <address>
 * <length> <files>}, then answers {@code crc <offset> <length>} lines with {@code CRC <value>}
 * computed over its own memory, until standard input closes.
 *
 * <p>Arguments: buffer length, seed, and optionally the shared-memory directory and transports to disable.
 */
public final class ShmTargetMain {

    private ShmTargetMain() {
    }

    public static void main(String[] args) throws Exception {
        long length = Long.parseLong(args[0]);
        long seed = Long.parseLong(args[1]);
        Map<String, String> env = new HashMap<>();
        if (args.length > 2 && !args[2].equals("-")) {
            env.put("MC_SHM_DIR", args[2]);
        }
        EngineConfig.Builder b = EngineConfig.builder().environment(env).localHostname("127.0.0.1")
                .metadataServer("P2PHANDSHAKE").protocol("tcp").transferTimeout(Duration.ofSeconds(20))
                .connectTimeout(Duration.ofSeconds(2)).handshakeTimeout(Duration.ofSeconds(5)).ioThreads(2);
        if (args.length > 3) {
            b.disabledTransports(args[3]);
        }
        try (MooncakeEngine engine = MooncakeEngine.start(b.build())) {
            LocalBuffer buffer = engine.allocateBuffer(length, "cpu:0");
            ByteBuffer bb = buffer.byteBuffer();
            fill(bb, seed);
            System.out.println("READY " + engine.localSegmentName() + " " + buffer.address() + " " + length + " "
                    + engine.transportStats().keySet().toString().replace(" ", ""));
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null) {
                String[] f = line.trim().split(" ");
                if (f[0].equals("crc")) {
                    int off = Integer.parseInt(f[1]);
                    int len = Integer.parseInt(f[2]);
                    System.out.println("CRC " + crc(bb, off, len));
                    System.out.flush();
                }
            }
        }
    }

    /** Fills {@code b} with bytes derived from {@code seed} and the position. */
    static void fill(ByteBuffer b, long seed) {
        for (int i = 0; i < b.capacity(); i++) {
            b.put(i, pattern(seed, i));
        }
    }

    static byte pattern(long seed, long i) {
        long x = (i + 1) * 0x9E3779B97F4A7C15L ^ seed;
        return (byte) (x ^ (x >>> 29) ^ (x >>> 47));
    }

    static long crc(ByteBuffer b, int off, int len) {
        CRC32 c = new CRC32();
        c.update(b.duplicate().position(off).limit(off + len));
        return c.getValue();
    }
}
