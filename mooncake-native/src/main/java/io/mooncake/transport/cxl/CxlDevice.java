package io.mooncake.transport.cxl;

import com.sun.jna.LastErrorException;
import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.memory.NativeMemory;
import io.mooncake.engine.transport.CountedHold;
import io.mooncake.jna.libc.LibC;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CXL device ({@code MC_CXL_DEV_PATH}: a device-DAX {@code /dev/daxX.Y}, or any file that can
 * be mapped shared, such as one on tmpfs) mapped read-write {@code MAP_SHARED} into this process,
 * as every engine on the host maps it. Every engine of a JVM shares one mapping and one open file.
 *
 * <p>Mapping goes through libc {@code mmap} (JNA): {@code FileChannel.map} cannot map a character
 * device (it sees size 0 and tries to grow it) and is limited to 2 GiB before JDK 22.
 *
 * <p>Engine-allocated buffers are carved out of the device in {@value #GRANULE}-byte granules (the
 * alignment device-DAX needs), each range claimed with an exclusive POSIX record lock on the device
 * file, so engines in other processes never hand out the same bytes, and a range whose owner died
 * is free again (the kernel drops a dead process's locks). POSIX drops all of a process's locks on
 * a file when any descriptor of it is closed, so this class keeps exactly one Java channel and one
 * libc descriptor per device per JVM open until the last engine closes it, and the provider's probe
 * does not open a device this JVM holds.
 */
final class CxlDevice extends CountedHold {

    private static final Logger log = LoggerFactory.getLogger(CxlDevice.class);

    /** Allocation granule and alignment (device-DAX maps in 2 MiB pages). */
    static final long GRANULE = 2L << 20;

    /** Devices this JVM has open, by real path; guarded by the class. */
    private static final Map<Path, CxlDevice> OPEN = new HashMap<>();

    private final String name;
    private final Path realPath;
    private final long size;
    private final long address;
    private final boolean characterDevice;
    private final FileChannel channel;
    private final int fd;
    // references (CountedHold): engines using it, allocations and copies in flight; unmapped at 0
    private long hint; // guarded by this: where the next allocation scan starts

    private CxlDevice(String name, Path realPath, long size, long address, boolean characterDevice,
            FileChannel channel, int fd) {
        this.name = name;
        this.realPath = realPath;
        this.size = size;
        this.address = address;
        this.characterDevice = characterDevice;
        this.channel = channel;
        this.fd = fd;
    }

    /**
     * Maps {@code size} bytes of the device at {@code path} (as configured: published as
     * {@code cxl_name}), or shares this JVM's mapping of it.
     *
     * @throws MooncakeException naming the path, the size and the fix when the device is missing, not
     *     permitted, smaller than {@code size}, or cannot be mapped
     */
    static CxlDevice open(String path, long size) {
        Path p = Path.of(path);
        if (size <= 0) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "CXL device " + path + ": size " + size
                    + " bytes is not positive; set MC_CXL_DEV_SIZE to the device's size in bytes");
        }
        BasicFileAttributes attrs;
        Path real;
        try {
            attrs = Files.readAttributes(p, BasicFileAttributes.class);
            real = p.toRealPath();
        } catch (NoSuchFileException e) {
            throw missing(path, size);
        } catch (IOException e) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "cannot read CXL device " + path + " (" + size
                    + " bytes to map): " + e.getMessage() + "; check MC_CXL_DEV_PATH");
        }
        boolean chr = attrs.isOther(); // a character device (device-DAX)
        if (!attrs.isRegularFile() && !chr) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "CXL device " + path + " is "
                    + (attrs.isDirectory() ? "a directory" : "not a file or device") + ", not a device-DAX device or "
                    + "a file to map (" + size + " bytes); set MC_CXL_DEV_PATH to /dev/daxX.Y or to a file on a "
                    + "shared tmpfs");
        }
        synchronized (CxlDevice.class) {
            CxlDevice d = OPEN.get(real);
            if (d != null) {
                if (size > d.size) {
                    throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "CXL device " + path + " is mapped in "
                            + "this JVM with " + d.size + " bytes, less than the " + size + " bytes requested; give "
                            + "every engine of the JVM the same MC_CXL_DEV_SIZE");
                }
                if (d.acquire()) {
                    return d;
                }
                // its last user is unmapping it right now: map it anew
            }
            FileChannel channel;
            try {
                channel = FileChannel.open(real, StandardOpenOption.READ, StandardOpenOption.WRITE);
            } catch (NoSuchFileException e) {
                throw missing(path, size);
            } catch (AccessDeniedException e) {
                throw denied(path, size);
            } catch (IOException e) {
                if (String.valueOf(e.getMessage()).contains("Permission denied")) {
                    throw denied(path, size);
                }
                throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "cannot open CXL device " + path
                        + " read-write (" + size + " bytes to map): " + e.getMessage() + "; check the device driver "
                        + "(dmesg) and MC_CXL_DEV_PATH");
            }
            int fd = -1;
            try {
                if (!chr) {
                    long actual;
                    try {
                        actual = channel.size();
                    } catch (IOException e) {
                        throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "cannot read the size of CXL device "
                                + path + ": " + e.getMessage());
                    }
                    if (actual < size) {
                        throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "CXL device " + path + " is " + actual
                                + " bytes, smaller than the " + size + " bytes requested (MC_CXL_DEV_SIZE); set "
                                + "MC_CXL_DEV_SIZE to at most " + actual + " or unset it, or grow the file "
                                + "(truncate -s " + size + " " + path + ")");
                    }
                }
                LibC c = LibC.Holder.INSTANCE;
                try {
                    fd = c.open(real.toString(), LibC.O_RDWR | LibC.O_CLOEXEC);
                } catch (LastErrorException e) {
                    if (e.getErrorCode() == 13 || e.getErrorCode() == 1) {
                        throw denied(path, size);
                    }
                    throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "cannot open CXL device " + path + " ("
                            + size + " bytes to map): " + c.strerror(e.getErrorCode()));
                }
                long addr;
                try {
                    addr = c.mmap(0, size, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
                } catch (LastErrorException e) {
                    throw new MooncakeException(ErrorCode.MEMORY, "cannot map " + size + " bytes of CXL device " + path
                            + ": " + c.strerror(e.getErrorCode()) + (chr ? "; the size must be a multiple of the "
                                    + "device's alignment (2 MiB) and at most its size in /sys/bus/dax/devices/"
                                    + real.getFileName() + "/size: fix MC_CXL_DEV_SIZE" : "; lower MC_CXL_DEV_SIZE"));
                }
                if (addr == LibC.MAP_FAILED || addr == 0) {
                    throw new MooncakeException(ErrorCode.MEMORY, "cannot map " + size + " bytes of CXL device "
                            + path + "; lower MC_CXL_DEV_SIZE");
                }
                d = new CxlDevice(path, real, size, addr, chr, channel, fd);
                OPEN.put(real, d);
                log.info("Mapped CXL device {} ({} bytes, {}) at 0x{}", path, size,
                        chr ? "character device" : "file", Long.toHexString(addr));
                return d;
            } catch (RuntimeException e) {
                closeQuietly(channel, fd);
                throw e;
            }
        }
    }

    private static MooncakeException missing(String path, long size) {
        return new MooncakeException(ErrorCode.INVALID_ARGUMENT, "CXL device " + path + " does not exist (" + size
                + " bytes were to be mapped); set MC_CXL_DEV_PATH to a device-DAX device (/dev/daxX.Y, see "
                + "daxctl list) or to a file every engine of the host can map, such as one on /dev/shm");
    }

    private static MooncakeException denied(String path, long size) {
        return new MooncakeException(ErrorCode.INVALID_ARGUMENT, "cannot open CXL device " + path + " read-write ("
                + size + " bytes to map): permission denied; give this user read-write access to it (a udev rule "
                + "or group for /dev/dax*, chmod for a file) or run the engine as its owner");
    }

    /** Whether this JVM holds {@code device} open (then it must not be opened and closed again: see class doc). */
    static boolean held(Path device) {
        synchronized (CxlDevice.class) {
            if (OPEN.isEmpty()) {
                return false;
            }
            try {
                return OPEN.containsKey(device.toRealPath());
            } catch (IOException e) {
                return false;
            }
        }
    }

    /** The path as configured ({@code cxl_name}). */
    String name() {
        return name;
    }

    long address() {
        return address;
    }

    long size() {
        return size;
    }

    boolean characterDevice() {
        return characterDevice;
    }

    /** The device offset of {@code [addr, addr + len)}, or -1 when it is not inside the mapping. */
    long offsetOf(long addr, long len) {
        long off = addr - address;
        return len >= 0 && addr >= address && off <= size && len <= size - off ? off : -1;
    }

    /**
     * Claims {@code length} bytes (rounded up to {@link #GRANULE}) no engine on the host holds,
     * zeroed.
     *
     * @throws MooncakeException (MEMORY) when no free range is large enough
     */
    synchronized CxlAllocator.CxlAllocation allocate(long length) {
        long len = (length + GRANULE - 1) / GRANULE * GRANULE;
        if (length <= 0 || len > size) {
            throw new MooncakeException(ErrorCode.MEMORY, "cannot allocate " + length + " bytes in CXL device " + name
                    + " of " + size + " bytes; raise MC_CXL_DEV_SIZE or use a larger device");
        }
        long granules = size / GRANULE;
        long start = hint;
        for (long i = 0; i < granules; i++) {
            long pos = (start + i * GRANULE) % (granules * GRANULE);
            if (pos + len > size) {
                continue;
            }
            FileLock lock;
            try {
                lock = channel.tryLock(pos, len, false);
            } catch (OverlappingFileLockException e) {
                lock = null; // held by an engine of this JVM
            } catch (IOException e) {
                throw new MooncakeException(ErrorCode.MEMORY, "cannot claim a range of CXL device " + name + ": "
                        + e.getMessage(), e);
            }
            if (lock != null) {
                hint = (pos + len) % (granules * GRANULE);
                if (!acquire()) {
                    releaseQuietly(lock);
                    throw new MooncakeException(ErrorCode.MEMORY, "CXL device " + name + " was unmapped (engine "
                            + "closing)");
                }
                NativeMemory.fill(address + pos, len, (byte) 0);
                return new CxlAllocator.CxlAllocation(this, pos, length, lock);
            }
        }
        throw new MooncakeException(ErrorCode.MEMORY, "no free range of " + length + " bytes in CXL device " + name
                + " (" + size + " bytes, shared by every engine on the host); free buffers, raise MC_CXL_DEV_SIZE "
                + "or use a larger device");
    }

    private static void releaseQuietly(FileLock lock) {
        try {
            lock.release();
        } catch (IOException e) {
            log.debug("releasing {} failed", lock, e);
        }
    }

    /** The last use ended: unmaps the device and closes its descriptors. */
    @Override
    protected void onLastRelease() {
        synchronized (CxlDevice.class) {
            OPEN.remove(realPath, this);
        }
        try {
            LibC.Holder.INSTANCE.munmap(address, size);
        } catch (LastErrorException e) {
            log.warn("Unmapping CXL device {} failed: errno {}", name, e.getErrorCode());
        }
        closeQuietly(channel, fd);
        log.info("Unmapped CXL device {}", name);
    }

    private static void closeQuietly(FileChannel channel, int fd) {
        if (fd >= 0) {
            try {
                LibC.Holder.INSTANCE.close(fd);
            } catch (LastErrorException e) {
                log.debug("close({}) failed: errno {}", fd, e.getErrorCode());
            }
        }
        try {
            channel.close();
        } catch (IOException e) {
            log.debug("closing {} failed", channel, e);
        }
    }

    @Override
    public String toString() {
        return "CXL device " + name + " (" + size + " bytes at 0x" + Long.toHexString(address) + ")";
    }
}
