package io.mooncake.jna.acl;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.LongByReference;

/**
 * JNA binding to the public C API of HCCL ({@code libhccl.so}, CANN): communicator setup from a
 * root info. Every call returns an {@code HcclResult} (0 = {@code HCCL_SUCCESS}).
 *
 * <p>This is all of HCCL that CANN documents for point-to-point use; the reference's
 * {@code ascend} transport instead moves data through HCCL's internal transport-memory C++
 * interface ({@code hccl_network_pub.h}, {@code transport_mem.h}), which is not part of the
 * public API, so this module has no ascend data path (docs/gpu.md). The root info size is
 * CANN's {@code HCCL_ROOT_INFO_BYTES}; Debian ships no CANN headers, so it is not proved by a
 * compiled test here.
 */
public interface LibHccl extends Library {

    /** {@code HCCL_ROOT_INFO_BYTES}: size of {@code HcclRootInfo}. */
    int HCCL_ROOT_INFO_BYTES = 4108;

    /** Fills {@code rootInfo} ({@link #HCCL_ROOT_INFO_BYTES} bytes) on the root rank. */
    int HcclGetRootInfo(Pointer rootInfo);

    int HcclCommInitRootInfo(int nRanks, Pointer rootInfo, int rank, LongByReference comm);

    int HcclCommDestroy(long comm);
}
