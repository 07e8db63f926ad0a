package io.mooncake.jna.acl;

import com.sun.jna.Library;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;

/**
 * JNA binding to Huawei AscendCL ({@code libascendcl.so}, CANN toolkit): runtime init, devices,
 * device memory and copies, streams. Every call returns an {@code aclError} (0 =
 * {@code ACL_SUCCESS}); {@code aclGetRecentErrMsg} describes the last failure of the calling
 * thread. Pointers and {@code aclrtStream} are passed as {@code long} (LP64).
 *
 * <p>The enum values below are those of CANN's {@code acl/acl_rt.h} as its documentation lists them;
 * Debian ships no CANN headers, so unlike the HIP and verbs bindings they are not proved by a
 * compiled test here.
 */
public interface LibAscendCl extends Library {

    /** {@code ACL_ERROR_REPEAT_INITIALIZE}: someone in the process already called aclInit. */
    int ACL_ERROR_REPEAT_INITIALIZE = 100002;
    /** {@code ACL_MEM_MALLOC_HUGE_FIRST}. */
    int ACL_MEM_MALLOC_HUGE_FIRST = 0;
    /** {@code ACL_MEMCPY_HOST_TO_DEVICE}. */
    int ACL_MEMCPY_HOST_TO_DEVICE = 1;
    /** {@code ACL_MEMCPY_DEVICE_TO_HOST}. */
    int ACL_MEMCPY_DEVICE_TO_HOST = 2;
    /** {@code ACL_MEMCPY_DEVICE_TO_DEVICE}. */
    int ACL_MEMCPY_DEVICE_TO_DEVICE = 3;

    int aclInit(String configPath);

    int aclrtGetDeviceCount(IntByReference count);

    int aclrtSetDevice(int deviceId);

    /** The calling thread's current device: the reference's {@code deviceLogicId}. */
    int aclrtGetDevice(IntByReference deviceId);

    int aclrtMalloc(LongByReference devPtr, long size, int policy);

    int aclrtFree(long devPtr);

    int aclrtMemcpy(long dst, long destMax, long src, long count, int kind);

    int aclrtCreateStream(LongByReference stream);

    int aclrtSynchronizeStream(long stream);

    int aclrtDestroyStream(long stream);

    String aclGetRecentErrMsg();
}
