package io.mooncake.engine.metadata.support;

import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.metadata.BufferDescriptor;
import io.mooncake.engine.metadata.MetadataConnection;
import io.mooncake.engine.metadata.RpcMeta;
import io.mooncake.engine.metadata.SegmentDescriptor;
import io.mooncake.engine.metadata.SegmentDirectory;
import io.mooncake.engine.metadata.kv.SegmentDirectories;
import java.time.Duration;
import java.util.List;

/**
 * A child-process main for crash tests: opens a directory on a metadata server, publishes a tcp
 * segment, prints {@value #READY}, then waits to be killed.
 *
 * <p>Arguments: connection string, segment name, TTL in milliseconds, cluster id ({@code -} for none).
 */
public final class PublishThenWait {

    /** Printed on stdout once the keys are published. */
    public static final String READY = "PUBLISHED";

    private PublishThenWait() {
    }

    public static void main(String[] args) throws InterruptedException {
        String server = args[0];
        String name = args[1];
        Duration ttl = Duration.ofMillis(Long.parseLong(args[2]));
        String cluster = args[3].equals("-") ? null : args[3];
        EngineConfig config = EngineConfig.builder().metadataServer(server).clusterId(cluster).metadataTtl(ttl)
                .connectTimeout(Duration.ofSeconds(3)).build();
        SegmentDirectory dir = SegmentDirectories.open(MetadataConnection.parse(server), config);
        dir.publish(SegmentDescriptor.tcp(name, 15999, 2, List.of(BufferDescriptor.of(name, 0x7f0000000000L, 4096))),
                new RpcMeta("127.0.0.1", 15998));
        System.out.println(READY);
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
