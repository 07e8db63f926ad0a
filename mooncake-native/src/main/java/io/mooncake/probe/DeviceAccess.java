package io.mooncake.probe;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Checks whether a device file ({@code /dev/infiniband/uverbs0}, {@code /dev/nvidia0},
 * {@code /dev/dax0.0}) can be opened for reading and writing, as the vendor runtime will.
 * The default, {@link #OPEN}, really opens and closes the file; tests substitute their own
 * because root may open any file whatever its mode.
 */
@FunctionalInterface
public interface DeviceAccess {

    /** The outcome of a check. */
    enum Status {
        OK, MISSING, DENIED, FAILED
    }

    /**
     * A check's outcome.
     *
     * @param status what happened
     * @param detail the operating system's message, empty when OK
     */
    record Result(Status status, String detail) {

        public static final Result OK = new Result(Status.OK, "");

        public boolean ok() {
            return status == Status.OK;
        }
    }

    /** Checks one device file. */
    Result check(Path device);

    /** Opens the file read-write and closes it at once. */
    DeviceAccess OPEN = device -> {
        if (!Files.exists(device, LinkOption.NOFOLLOW_LINKS) && !Files.exists(device)) {
            return new Result(Status.MISSING, "no such file");
        }
        try (FileChannel ignored = FileChannel.open(device, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return Result.OK;
        } catch (AccessDeniedException e) {
            return new Result(Status.DENIED, "permission denied");
        } catch (NoSuchFileException e) {
            return new Result(Status.MISSING, "no such file");
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            String m = String.valueOf(e.getMessage());
            if (m.contains("Permission denied") || m.contains("Operation not permitted")) {
                return new Result(Status.DENIED, m);
            }
            return new Result(Status.FAILED, m);
        }
    };
}
