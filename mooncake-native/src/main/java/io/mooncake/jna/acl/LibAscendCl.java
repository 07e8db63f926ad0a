package io.mooncake.jna.acl;

import com.sun.jna.Library;
import com.sun.jna.ptr.IntByReference;

/** JNA binding to Huawei AscendCL ({@code libascendcl.so}, CANN toolkit): runtime init and device count. */
public interface LibAscendCl extends Library {

    /** {@code ACL_ERROR_REPEAT_INITIALIZE}: someone in the process already called aclInit. */
    int ACL_ERROR_REPEAT_INITIALIZE = 100002;

    int aclInit(String configPath);

    int aclrtGetDeviceCount(IntByReference count);

    String aclGetRecentErrMsg();
}
