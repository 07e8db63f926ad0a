package io.mooncake.engine.transport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * Who this process is, for transports that must know whether a peer shares the host (same kernel
 * boot) or the process (same JVM). Published in the descriptor by the transports that need it;
 * reference nodes ignore the fields.
 */
public final class HostIdentity {

    private static final String JVM_ID = UUID.randomUUID().toString();
    private static volatile String bootId;

    private HostIdentity() {
    }

    /**
     * The kernel's boot id ({@code /proc/sys/kernel/random/boot_id}): the same for every process of
     * a host boot, containers included (sharing a kernel is necessary, not sufficient, for sharing
     * memory: transports still check that the peer's memory can be opened). Falls back to the host
     * name where /proc is absent.
     */
    public static String bootId() {
        String id = bootId;
        if (id == null) {
            try {
                id = Files.readString(Path.of("/proc/sys/kernel/random/boot_id"), StandardCharsets.US_ASCII).trim();
            } catch (IOException | RuntimeException e) {
                try {
                    id = "host:" + java.net.InetAddress.getLocalHost().getHostName();
                } catch (IOException ex) {
                    id = "unknown";
                }
            }
            bootId = id;
        }
        return id;
    }

    /** A random id of this JVM, fixed for its life. */
    public static String jvmId() {
        return JVM_ID;
    }

    /** This process's id. */
    public static long pid() {
        return ProcessHandle.current().pid();
    }
}
