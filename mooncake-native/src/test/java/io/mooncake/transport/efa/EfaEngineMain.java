package io.mooncake.transport.efa;

import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.testsupport.Engines;
import java.io.IOException;

/**
 * An engine running the efa transport in its own process, for {@link EfaTwoProcessEngineTest}:
 * args {@code <libfabric provider> <device> <buffer bytes>}. Fills its buffer with
 * {@link #pattern} (seed 3), prints {@code READY <segment> <buffer address> <length> <protocol>}
 * and runs until its standard input closes.
 */
public final class EfaEngineMain {

    private EfaEngineMain() {
    }

    static byte pattern(long i, int seed) {
        return (byte) (i * 131 + seed * 17 + (i >>> 10));
    }

    public static void main(String[] args) throws IOException {
        System.setProperty(EfaSettings.PROVIDER_PROPERTY, args[0]);
        long length = Long.parseLong(args[2]);
        try (MooncakeEngine engine = MooncakeEngine.start(Engines.loopback().protocol("efa").deviceName(args[1])
                .build())) {
            LocalBuffer buffer = engine.allocateBuffer(length, "cpu:0");
            java.nio.ByteBuffer bb = buffer.byteBuffer();
            for (int i = 0; i < length; i++) {
                bb.put(i, pattern(i, 3));
            }
            System.out.println("READY " + engine.localSegmentName() + " " + buffer.address() + " " + length + " "
                    + engine.localDescriptor().protocol());
            System.out.flush();
            while (System.in.read() >= 0) {
                // run until stdin closes
            }
        }
    }
}
