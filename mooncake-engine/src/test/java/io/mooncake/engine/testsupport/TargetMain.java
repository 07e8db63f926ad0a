package io.mooncake.engine.testsupport;

import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.config.EngineConfig;
import java.io.IOException;
import java.time.Duration;

/**
 * A target engine in its own process for tests: prints {@code READY <segment> <address> <length>}
 * and runs until its standard input closes or it is killed.
 *
 * <p>Arguments: buffer length; optionally handshake port (0 = any); optionally metadata server and
 * segment name and cluster id (for key-value metadata tests).
 */
public final class TargetMain {

    private TargetMain() {
    }

    public static void main(String[] args) throws IOException {
        long length = Long.parseLong(args[0]);
        int handshakePort = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        EngineConfig.Builder b = Engines.loopback().handshakePort(handshakePort);
        if (args.length > 3) {
            b.metadataServer(args[2]).localHostname(args[3]).bindAddress("127.0.0.1")
                    .metadataTtl(Duration.ofSeconds(2)).clusterId(args.length > 4 ? args[4] : null)
                    // a cold child JVM on a loaded CI machine needs more than 2 s for its first etcd call
                    .connectTimeout(Duration.ofSeconds(20));
        }
        MooncakeEngine engine = MooncakeEngine.start(b.build());
        LocalBuffer buffer = engine.allocateBuffer(length, "cpu:0");
        System.out.println("READY " + engine.localSegmentName() + " " + buffer.address() + " " + length);
        System.out.flush();
        while (System.in.read() >= 0) {
            // run until stdin closes
        }
        engine.close();
    }
}
