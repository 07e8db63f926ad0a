package io.mooncake.jna.cufile;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.PointerByReference;
import java.util.List;

/**
 * JNA binding to the cuFile API of GPUDirect Storage ({@code libcufile.so.0}, from the CUDA
 * toolkit's GDS package), the calls the nvmeof transport needs.
 *
 * <p>Declarations and layouts follow the public {@code cufile.h} as NVIDIA's own cuda-python
 * bindings restate it ({@code cuda_bindings/cuda/bindings/cycufile.pxd}, generated from the header
 * of CUDA 12.9.0 to 13.0.1), checked on x86-64 and aarch64 (LP64):
 * <ul>
 * <li>{@code CUfileError_t} = {@code {CUfileOpError err; CUresult cu_err;}}, two 32-bit enums, returned
 * by value ({@link Error});</li>
 * <li>{@code CUfileDescr_t} = {@code {CUfileFileHandleType type; union {int fd; void *handle;} handle;
 * const CUfileFSOps_t *fs_ops;}}: {@code type} at 0, the union at 8 (pointer-aligned), {@code fs_ops}
 * at 16, 24 bytes ({@link #DESCR_SIZE}...); {@code CU_FILE_HANDLE_TYPE_OPAQUE_FD} = 1;</li>
 * <li>{@code CUfileHandle_t} is {@code void *}; {@code size_t}, {@code ssize_t} and {@code off_t} are
 * 64-bit ({@code long}).</li>
 * </ul>
 * {@code CuFileAbiTest} compiles a C program against the machine's {@code cufile.h} where one exists
 * (the GPU machine) and compares these offsets.
 */
public interface LibCufile extends Library {

    /** File names tried. */
    List<String> NAMES = List.of("libcufile.so.0", "cufile");

    int CU_FILE_SUCCESS = 0;
    /** {@code CUFILEOP_BASE_ERR}: the other {@code CUfileOpError} values are 5001 and up. */
    int CUFILEOP_BASE_ERR = 5000;
    int CU_FILE_HANDLE_TYPE_OPAQUE_FD = 1;

    /** {@code sizeof(CUfileDescr_t)}. */
    int DESCR_SIZE = 24;
    /** {@code offsetof(CUfileDescr_t, type)}. */
    int DESCR_TYPE = 0;
    /** {@code offsetof(CUfileDescr_t, handle)} (the union; {@code fd} is its first member). */
    int DESCR_HANDLE = 8;
    /** {@code offsetof(CUfileDescr_t, fs_ops)}. */
    int DESCR_FS_OPS = 16;

    /** {@code CUfileError_t}, returned by value. */
    @Structure.FieldOrder({"err", "cu_err"})
    class Error extends Structure implements Structure.ByValue {
        public int err;
        public int cu_err;
    }

    Error cuFileDriverOpen();

    Error cuFileDriverClose();

    Error cuFileHandleRegister(PointerByReference fh, Pointer descr);

    void cuFileHandleDeregister(Pointer fh);

    Error cuFileBufRegister(Pointer bufPtrBase, long length, int flags);

    Error cuFileBufDeregister(Pointer bufPtrBase);

    /** Bytes read, or -1 (errno set) or {@code -CUfileOpError}. */
    long cuFileRead(Pointer fh, Pointer bufPtrBase, long size, long fileOffset, long bufPtrOffset);

    /** Bytes written, or -1 (errno set) or {@code -CUfileOpError}. */
    long cuFileWrite(Pointer fh, Pointer bufPtrBase, long size, long fileOffset, long bufPtrOffset);
}
