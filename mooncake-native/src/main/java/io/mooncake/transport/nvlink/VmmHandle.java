package io.mooncake.transport.nvlink;

import io.mooncake.jna.cuda.Cuda;
import io.mooncake.jna.cuda.CudaAbi;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * What a VMM allocation publishes in {@code shm_name} (128 uppercase hex digits either way):
 * <ul>
 * <li>{@link Kind#FABRIC}: the 64-byte {@code CUmemFabricHandle}, as the reference publishes it on
 *     multi-node NVLink; any process of the NVLink domain imports it.</li>
 * <li>{@link Kind#POSIX_FD}: this project's 64 bytes for one host without a fabric: magic
 *     {@code MCJPOSFD}, the owner's pid, the owner's file descriptor of the exported handle
 *     ({@code CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR}), the allocation size (little-endian), then
 *     zeros. The importer takes the descriptor with {@code pidfd_getfd} (a reference node would try
 *     it as a fabric handle and get a CUDA error, never memory).</li>
 * </ul>
 */
record VmmHandle(Kind kind, byte[] fabric, long pid, int fd, long size) {

    enum Kind {
        FABRIC("fabric"), POSIX_FD("posix_fd");

        final String wire;

        Kind(String wire) {
            this.wire = wire;
        }
    }

    static final byte[] MAGIC_BYTES = {'M', 'C', 'J', 'P', 'O', 'S', 'F', 'D'};

    static VmmHandle fabric(byte[] handle) {
        return new VmmHandle(Kind.FABRIC, handle.clone(), 0, -1, 0);
    }

    static VmmHandle posixFd(long pid, int fd, long size) {
        return new VmmHandle(Kind.POSIX_FD, null, pid, fd, size);
    }

    /** The 64 bytes. */
    byte[] bytes() {
        if (kind == Kind.FABRIC) {
            return fabric.clone();
        }
        ByteBuffer b = ByteBuffer.allocate(CudaAbi.FABRIC_HANDLE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC_BYTES).putLong(pid).putLong(fd).putLong(size);
        return b.array();
    }

    /** The {@code shm_name}. */
    String hex() {
        return Cuda.toHex(bytes());
    }

    /**
     * Reads a {@code shm_name}: this project's POSIX-fd form when it carries the magic, else a fabric handle.
     *
     * @throws IllegalArgumentException when it is not 128 hex digits
     */
    static VmmHandle parse(String hex) {
        byte[] b = Cuda.fromHex(hex, CudaAbi.FABRIC_HANDLE_BYTES);
        for (int i = 0; i < MAGIC_BYTES.length; i++) {
            if (b[i] != MAGIC_BYTES[i]) {
                return fabric(b);
            }
        }
        ByteBuffer in = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        in.position(MAGIC_BYTES.length);
        long pid = in.getLong();
        int fd = (int) in.getLong();
        long size = in.getLong();
        return posixFd(pid, fd, size);
    }
}
