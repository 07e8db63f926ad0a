package io.mooncake.transport.nvmeof;

import io.mooncake.engine.memory.NativeMemory;
import io.mooncake.jna.cufile.CuFile;
import io.mooncake.jna.cufile.CuFileException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A stand-in for {@code libcufile} on this machine, which has no GPU and no GPUDirect Storage: it
 * keeps cuFile's contract (the driver must be open, buffers must be registered before I/O and
 * addressed as base + offset, files registered before I/O) and moves the bytes with plain file I/O
 * to and from "device memory" that is host memory here. It records the calls so tests can check
 * what the transport asked of cuFile. The real library is exercised by NvmeofGdsHardwareTest on the
 * GPU machine.
 */
final class FakeCuFile implements CuFile {

    final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    final List<long[]> registered = Collections.synchronizedList(new ArrayList<>());
    volatile boolean open;
    volatile int failOpenWith;

    @Override
    public void open() {
        calls.add("open");
        if (failOpenWith != 0) {
            throw new CuFileException("cuFileDriverOpen failed: " + CuFileException.name(failOpenWith), failOpenWith);
        }
        open = true;
    }

    private void requireOpen() {
        if (!open) {
            throw new CuFileException("driver not open", 5001);
        }
    }

    @Override
    public FileHandle register(Path path) {
        requireOpen();
        calls.add("register " + path);
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new FileHandle() {
            @Override
            public long read(long base, long size, long fileOffset, long bufferOffset) {
                checkBuffer(base, bufferOffset, size);
                try {
                    return Math.max(0, ch.read(NativeMemory.view(base + bufferOffset, (int) size), fileOffset));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public long write(long base, long size, long fileOffset, long bufferOffset) {
                checkBuffer(base, bufferOffset, size);
                try {
                    return ch.write(NativeMemory.view(base + bufferOffset, (int) size), fileOffset);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public void close() {
                calls.add("deregister " + path);
                try {
                    ch.close();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }

    private void checkBuffer(long base, long offset, long size) {
        requireOpen();
        synchronized (registered) {
            for (long[] r : registered) {
                if (r[0] == base && offset >= 0 && offset + size <= r[1]) {
                    return;
                }
            }
        }
        throw new CuFileException("buffer 0x" + Long.toHexString(base) + "+" + offset + " not registered",
                5023);
    }

    @Override
    public void registerBuffer(long address, long length) {
        requireOpen();
        calls.add("registerBuffer " + length);
        registered.add(new long[] {address, length});
    }

    @Override
    public void deregisterBuffer(long address) {
        calls.add("deregisterBuffer");
        registered.removeIf(r -> r[0] == address);
    }
}
