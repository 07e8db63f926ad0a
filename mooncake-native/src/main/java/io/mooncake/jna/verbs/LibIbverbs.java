package io.mooncake.jna.verbs;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;

/**
 * JNA binding to libibverbs (rdma-core): the exported device-list calls that the probes use.
 *
 * <p>Only exported functions are declared; {@code ibv_post_send} and {@code ibv_poll_cq} are
 * header inlines that a data path must call through the context's ops table instead.
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
}
