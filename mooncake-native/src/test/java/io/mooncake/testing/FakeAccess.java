package io.mooncake.testing;

import io.mooncake.probe.DeviceAccess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * A {@link DeviceAccess} for fake trees: a file that exists opens, unless it was marked denied
 * (root may open any file whatever its mode, so modes cannot stand in for udev rules in tests).
 */
public final class FakeAccess implements DeviceAccess {

    private final Set<String> denied = new HashSet<>();

    /** Denies files whose path ends with {@code suffix}, e.g. {@code /dev/infiniband/uverbs0}. */
    public FakeAccess deny(String suffix) {
        denied.add(suffix);
        return this;
    }

    @Override
    public Result check(Path device) {
        if (!Files.exists(device)) {
            return new Result(Status.MISSING, "no such file");
        }
        for (String d : denied) {
            if (device.toString().endsWith(d)) {
                return new Result(Status.DENIED, "permission denied");
            }
        }
        return Result.OK;
    }
}
