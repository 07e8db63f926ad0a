package io.mooncake.jna.cufile;

import java.nio.file.Path;

/**
 * GPUDirect Storage as the nvmeof transport uses it: reads and writes between a file opened for
 * direct I/O and CUDA device memory, DMA'd by the storage stack without a host bounce. The real
 * one is {@link JnaCuFile} over {@code libcufile}; tests on machines without a GPU pass a double
 * that stands for it (said so where they do). Implementations are thread-safe.
 */
public interface CuFile {

    /**
     * {@code cuFileDriverOpen}; idempotent.
     *
     * @throws CuFileException naming the error and the fix
     */
    void open();

    /**
     * Opens {@code path} with {@code O_RDWR | O_DIRECT} and registers it ({@code cuFileHandleRegister}).
     *
     * @throws CuFileException when the file cannot be opened or registered
     */
    FileHandle register(Path path);

    /** {@code cuFileBufRegister} of device memory {@code [address, address + length)}. */
    void registerBuffer(long address, long length);

    /** {@code cuFileBufDeregister} of a buffer registered at {@code address}. */
    void deregisterBuffer(long address);

    /** A file registered with cuFile. */
    interface FileHandle extends AutoCloseable {

        /**
         * {@code cuFileRead}: {@code size} bytes at {@code fileOffset} into device memory
         * {@code base + bufferOffset} ({@code base} a registered buffer's start).
         *
         * @return bytes read (fewer at the end of the file)
         * @throws CuFileException on an error
         */
        long read(long base, long size, long fileOffset, long bufferOffset);

        /** {@code cuFileWrite}, as {@link #read}. */
        long write(long base, long size, long fileOffset, long bufferOffset);

        /** Deregisters and closes the file. */
        @Override
        void close();
    }
}
