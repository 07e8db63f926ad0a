package io.mooncake.jna.acl;

import com.sun.jna.ptr.IntByReference;
import io.mooncake.jna.AcceleratorRuntime;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.RuntimeCache;
import io.mooncake.jna.RuntimeQuery;
import java.util.List;

/**
 * {@link AcceleratorRuntime} over AscendCL. The probe calls {@code aclInit} but deliberately not
 * {@code aclFinalize}: CANN does not allow a second {@code aclInit} in a process after
 * {@code aclFinalize}, so finalising here would break the Ascend runtime for the application.
 * Thread-safe.
 */
public final class JnaAscendCl implements AcceleratorRuntime {

    private static final RuntimeCache<LibAscendCl> CACHE = new RuntimeCache<>(LibAscendCl.class, JnaAscendCl::new);

    private final LibAscendCl lib;

    private JnaAscendCl(LibAscendCl lib) {
        this.lib = lib;
    }

    /** AscendCL from the first candidate that links. */
    public static Loaded<AcceleratorRuntime> load(List<String> candidates) {
        return CACHE.load(candidates);
    }

    @Override
    public RuntimeQuery query() {
        int rc = lib.aclInit(null);
        if (rc != 0 && rc != LibAscendCl.ACL_ERROR_REPEAT_INITIALIZE) {
            return RuntimeQuery.failed(rc, "aclInit failed: " + lib.aclGetRecentErrMsg());
        }
        IntByReference count = new IntByReference();
        rc = lib.aclrtGetDeviceCount(count);
        if (rc != 0) {
            return RuntimeQuery.failed(rc, "aclrtGetDeviceCount failed: " + lib.aclGetRecentErrMsg());
        }
        return RuntimeQuery.devices(count.getValue(), List.of());
    }
}
