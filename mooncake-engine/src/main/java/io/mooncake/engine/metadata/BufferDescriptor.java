package io.mooncake.engine.metadata;

import java.util.List;
import tools.jackson.databind.JsonNode;
import java.util.Map;
import java.util.Objects;

/**
 * One entry of a segment descriptor's {@code buffers} array.
 *
 * <p>Which fields are set depends on the owning transport (reference §2): tcp buffers carry
 * {@code name, addr, length}; rdma-shaped ones add {@code rkey[]} and {@code lkey[]}; GPU-IPC
 * ones add {@code shm_name}; cxl ones use {@code offset} instead of {@code addr}. Fields this
 * class does not model are kept in {@link #extra()} so a descriptor written by another node is
 * republished unchanged.
 *
 * @param name segment name (tcp, cxl) or location such as {@code cpu:0} (rdma)
 * @param addr absolute virtual address in the owner process, unsigned
 * @param length length in bytes, unsigned
 * @param rkey remote keys, one per device, or empty
 * @param lkey local keys, one per device, or empty
 * @param shmName hex IPC or fabric handle, or {@code null}
 * @param offset device offset for cxl buffers, or {@code null}
 * @param extra other fields as raw JSON values, sorted by key
 */
public record BufferDescriptor(String name, long addr, long length, List<Long> rkey, List<Long> lkey,
        String shmName, Long offset, Map<String, JsonNode> extra) {

    public BufferDescriptor {
        Objects.requireNonNull(name, "name");
        rkey = rkey == null ? List.of() : List.copyOf(rkey);
        lkey = lkey == null ? List.of() : List.copyOf(lkey);
        extra = extra == null ? Map.of() : Map.copyOf(extra);
    }

    /** A tcp-style buffer: name, address and length only. */
    public static BufferDescriptor of(String name, long addr, long length) {
        return new BufferDescriptor(name, addr, length, List.of(), List.of(), null, null, Map.of());
    }

    /**
     * Where requests address this buffer: its {@code addr}, or for a buffer published by device
     * offset only (a reference cxl node's {@code {name, offset, length}}, which has no {@code addr})
     * its {@code offset}, since such a node's peers address it by device offset.
     */
    public long base() {
        return addr == 0 && offset != null ? offset : addr;
    }

    /**
     * Whether {@code [address, address + len)} lies inside this buffer (unsigned arithmetic), the
     * buffer starting at {@link #base()}.
     */
    public boolean contains(long address, long len) {
        if (len < 0) {
            return false;
        }
        long addr = base();
        long start = Long.compareUnsigned(address, addr);
        if (start < 0) {
            return false;
        }
        long off = address - addr;
        return Long.compareUnsigned(off, length) <= 0 && Long.compareUnsigned(len, length - off) <= 0;
    }
}
