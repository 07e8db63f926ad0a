package io.mooncake.jna.verbs;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

/**
 * JNA binding to libibverbs (rdma-core): the exported functions of the verbs control path.
 *
 * <p>Only exported functions are declared. {@code ibv_post_send}, {@code ibv_poll_cq} and
 * {@code ibv_req_notify_cq} are header inlines that jump through {@code context->ops}; the data
 * path calls them that way ({@link FfiCall}, offsets in {@link VerbsAbi}). {@code ibv_query_port}
 * and {@code ibv_reg_mr} are macros in the header too: the exported symbols of the same name are
 * what the macros fall back to, called here with a zeroed {@code sizeof(struct ibv_port_attr)}
 * buffer and, for access flags in {@code IBV_ACCESS_OPTIONAL_RANGE}, through
 * {@code ibv_reg_mr_iova2}, exactly as the macros do. {@code ibv_query_gid_ex} is an inline over
 * the exported {@code _ibv_query_gid_ex}.
 *
 * <p>Functions returning a pointer return NULL and set errno on failure (read with
 * {@code Native.getLastError()}); functions returning {@code int} return 0 or an errno value.
 */
public interface LibIbverbs extends Library {

    /** File names tried, newest ABI first. */
    java.util.List<String> NAMES = java.util.List.of("libibverbs.so.1", "ibverbs");

    /** Returns a NULL-terminated array of {@code struct ibv_device *}, or NULL with errno set. */
    Pointer ibv_get_device_list(IntByReference numDevices);

    void ibv_free_device_list(Pointer list);

    String ibv_get_device_name(Pointer device);

    /** The node GUID in network byte order ({@code __be64}). */
    long ibv_get_device_guid(Pointer device);

    int ibv_fork_init();

    Pointer ibv_open_device(Pointer device);

    int ibv_close_device(Pointer context);

    int ibv_query_device(Pointer context, Pointer deviceAttr);

    /** The exported compat symbol behind the {@code ibv_query_port} macro; {@code portAttr} must be zeroed. */
    int ibv_query_port(Pointer context, byte portNum, Pointer portAttr);

    int ibv_query_gid(Pointer context, byte portNum, int index, Pointer gid);

    /** What the inline {@code ibv_query_gid_ex} calls, with {@code entrySize = sizeof(struct ibv_gid_entry)}. */
    int _ibv_query_gid_ex(Pointer context, int portNum, int gidIndex, Pointer entry, int flags, long entrySize);

    Pointer ibv_alloc_pd(Pointer context);

    int ibv_dealloc_pd(Pointer pd);

    Pointer ibv_reg_mr(Pointer pd, Pointer addr, long length, int access);

    Pointer ibv_reg_mr_iova2(Pointer pd, Pointer addr, long length, long iova, int access);

    Pointer ibv_reg_dmabuf_mr(Pointer pd, long offset, long length, long iova, int fd, int access);

    int ibv_dereg_mr(Pointer mr);

    Pointer ibv_create_comp_channel(Pointer context);

    int ibv_destroy_comp_channel(Pointer channel);

    Pointer ibv_create_cq(Pointer context, int cqe, Pointer cqContext, Pointer channel, int compVector);

    int ibv_destroy_cq(Pointer cq);

    int ibv_get_cq_event(Pointer channel, PointerByReference cq, PointerByReference cqContext);

    void ibv_ack_cq_events(Pointer cq, int nevents);

    Pointer ibv_create_qp(Pointer pd, Pointer qpInitAttr);

    int ibv_modify_qp(Pointer qp, Pointer attr, int attrMask);

    int ibv_destroy_qp(Pointer qp);

    String ibv_wc_status_str(int status);
}
