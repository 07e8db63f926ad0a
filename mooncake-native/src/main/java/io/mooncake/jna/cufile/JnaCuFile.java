package io.mooncake.jna.cufile;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import io.mooncake.jna.Loaded;
import io.mooncake.jna.NativeLoading;
import io.mooncake.jna.libc.LibC;
import java.nio.file.Path;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link CuFile} over the real {@code libcufile}, loaded once per JVM by a lazy holder; the driver
 * is opened on first use ({@link #open()}) and stays open for the process (cuFile counts its
 * users; closing it under another user's I/O would fail theirs). Files are opened through libc
 * with {@code O_DIRECT}, as cuFile requires.
 */
public final class JnaCuFile implements CuFile {

    private static final Logger log = LoggerFactory.getLogger(JnaCuFile.class);
    /** {@code O_DIRECT}: 040000 on x86-64, 0200000 on aarch64 (asm-generic/fcntl.h vs arch/arm64). */
    static final int O_DIRECT = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT).matches("aarch64|arm64")
            ? 0x10000 : 0x4000;

    private final LibCufile lib;
    private volatile boolean opened;

    private JnaCuFile(LibCufile lib) {
        this.lib = lib;
    }

    /** The process-wide binding, or why {@code libcufile} cannot be loaded. */
    public static Loaded<CuFile> load() {
        return Holder.LOADED;
    }

    private static final class Holder {
        static final Loaded<CuFile> LOADED = NativeLoading.load(LibCufile.class, LibCufile.NAMES, JnaCuFile::new);
    }

    @Override
    public synchronized void open() {
        if (opened) {
            return;
        }
        LibCufile.Error e = lib.cuFileDriverOpen();
        if (e.err != LibCufile.CU_FILE_SUCCESS) {
            throw new CuFileException("cuFileDriverOpen failed: " + CuFileException.name(e.err) + ", CUDA error "
                    + e.cu_err + "; check the GDS installation (gdscheck -p; the nvidia-fs kernel module, or "
                    + "compatibility mode in /etc/cufile.json)", e.err);
        }
        opened = true;
        log.info("GPUDirect Storage driver opened (libcufile)");
    }

    @Override
    public FileHandle register(Path path) {
        int fd;
        try {
            fd = LibC.Holder.INSTANCE.open(path.toString(), LibC.O_RDWR | LibC.O_CLOEXEC | O_DIRECT);
        } catch (LastErrorException e) {
            throw new CuFileException("open(" + path + ", O_RDWR|O_DIRECT) for GPUDirect Storage failed: "
                    + LibC.Holder.INSTANCE.strerror(e.getErrorCode()) + " (errno " + e.getErrorCode() + ")", 0);
        }
        Memory descr = new Memory(LibCufile.DESCR_SIZE);
        descr.clear();
        descr.setInt(LibCufile.DESCR_TYPE, LibCufile.CU_FILE_HANDLE_TYPE_OPAQUE_FD);
        descr.setInt(LibCufile.DESCR_HANDLE, fd);
        PointerByReference fh = new PointerByReference();
        LibCufile.Error e = lib.cuFileHandleRegister(fh, descr);
        if (e.err != LibCufile.CU_FILE_SUCCESS) {
            LibC.Holder.INSTANCE.close(fd);
            throw new CuFileException("cuFileHandleRegister(" + path + ") failed: " + CuFileException.name(e.err)
                    + ", CUDA error " + e.cu_err + "; the file system must support GPUDirect Storage or "
                    + "compatibility mode must be allowed (/etc/cufile.json allow_compat_mode)", e.err);
        }
        return new Handle(path, fd, fh.getValue());
    }

    @Override
    public void registerBuffer(long address, long length) {
        LibCufile.Error e = lib.cuFileBufRegister(new Pointer(address), length, 0);
        if (e.err != LibCufile.CU_FILE_SUCCESS) {
            throw new CuFileException("cuFileBufRegister(0x" + Long.toHexString(address) + ", " + length
                    + ") failed: " + CuFileException.name(e.err) + ", CUDA error " + e.cu_err, e.err);
        }
    }

    @Override
    public void deregisterBuffer(long address) {
        LibCufile.Error e = lib.cuFileBufDeregister(new Pointer(address));
        if (e.err != LibCufile.CU_FILE_SUCCESS) {
            log.warn("cuFileBufDeregister(0x{}) failed: {}", Long.toHexString(address), CuFileException.name(e.err));
        }
    }

    private final class Handle implements FileHandle {
        private final Path path;
        private final int fd;
        private final Pointer handle;

        Handle(Path path, int fd, Pointer handle) {
            this.path = path;
            this.fd = fd;
            this.handle = handle;
        }

        @Override
        public long read(long base, long size, long fileOffset, long bufferOffset) {
            return check("cuFileRead", lib.cuFileRead(handle, new Pointer(base), size, fileOffset, bufferOffset),
                    size, fileOffset);
        }

        @Override
        public long write(long base, long size, long fileOffset, long bufferOffset) {
            return check("cuFileWrite", lib.cuFileWrite(handle, new Pointer(base), size, fileOffset, bufferOffset),
                    size, fileOffset);
        }

        private long check(String call, long n, long size, long fileOffset) {
            if (n >= 0) {
                return n;
            }
            String why = n == -1 ? "errno " + com.sun.jna.Native.getLastError() : CuFileException.name((int) -n);
            throw new CuFileException(call + "(" + path + ", " + size + " bytes at " + fileOffset + ") failed: " + why,
                    n == -1 ? 0 : (int) -n);
        }

        @Override
        public void close() {
            lib.cuFileHandleDeregister(handle);
            LibC.Holder.INSTANCE.close(fd);
        }
    }
}
