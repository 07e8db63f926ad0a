package io.mooncake.engine.testsupport;

import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.TransferEngine;
import java.io.IOException;

/**
 * A target engine in its own process for tests: prints {@code READY <segment> <address> <length>}
 * and runs until its standard input closes or it is killed.
 */
public final class TargetMain {

    private TargetMain() {
    }

    public static void main(String[] args) throws IOException {
        long length = Long.parseLong(args[0]);
        int handshakePort = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        TransferEngine engine = TransferEngine.create(Engines.loopback().handshakePort(handshakePort).build());
        LocalBuffer buffer = engine.allocateBuffer(length, "cpu:0");
        System.out.println("READY " + engine.localSegmentName() + " " + buffer.address() + " " + length);
        System.out.flush();
        while (System.in.read() >= 0) {
            // run until stdin closes
        }
        engine.close();
    }
}
