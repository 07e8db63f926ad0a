package io.mooncake.engine.transport.shm;

import io.mooncake.engine.memory.SharedMapping;
import io.mooncake.engine.transport.Availability;
import io.mooncake.engine.transport.Transport;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.engine.transport.TransportProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Provides the same-host shared-memory transport. It runs alongside the requested protocol where
 * the shared-memory directory ({@code MC_SHM_DIR}, default {@code /dev/shm}) is a writable directory.
 */
public final class ShmTransportProvider implements TransportProvider {

    /** The protocol name of the shared-memory transport. */
    public static final String PROTOCOL = "shm";

    @Override
    public String protocol() {
        return PROTOCOL;
    }

    @Override
    public boolean runsAlongside() {
        return true;
    }

    static Path directory(TransportContext context) {
        String dir = context.config().environment().get("MC_SHM_DIR");
        return dir == null || dir.isBlank() ? SharedMapping.defaultDirectory() : Path.of(dir.trim());
    }

    @Override
    public Availability availability(TransportContext context) {
        Path dir = directory(context);
        if (!Files.isDirectory(dir)) {
            return Availability.unavailable(Availability.Cause.NO_DEVICE, "shared-memory directory " + dir
                    + " does not exist", "mount a tmpfs there, or set MC_SHM_DIR to one");
        }
        if (!Files.isWritable(dir)) {
            return Availability.unavailable(Availability.Cause.PERMISSION_DENIED, "shared-memory directory " + dir
                    + " is not writable by this user", "fix its permissions, or set MC_SHM_DIR to a writable tmpfs");
        }
        return Availability.ready("same-host peers map engine-allocated memory from " + dir,
                Map.of("directory", dir.toString(), "scope", "host"));
    }

    @Override
    public Transport create(TransportContext context) {
        return new ShmTransport(context, directory(context));
    }
}
