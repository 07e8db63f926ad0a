package io.mooncake.jna.hip;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;

/**
 * JNA binding to the AMD ROCm HIP runtime ({@code libamdhip64.so}): the calls the probe, the
 * {@code hip} transport and the {@code hip:N} allocator make. Every function returns a
 * {@code hipError_t} (0 = {@code hipSuccess}); {@link Hip} turns non-zero codes into
 * {@link HipException}s that name the call and the runtime's error name. Struct sizes, offsets and
 * enum values are in {@link HipAbi}, proved against the ROCm headers by a test.
 *
 * <p>Pointers ({@code void*}, {@code hipStream_t}) are mapped to Java {@code long} and
 * {@code void**} out-parameters to {@link LongByReference}: on the LP64 targets JNA runs on here
 * (x86-64, AArch64) a pointer and a 64-bit integer are passed alike, and no {@code Pointer} object
 * is built per copy.
 */
public interface LibAmdHip64 extends Library {

    /** {@code hipErrorNoDevice}. */
    int HIP_ERROR_NO_DEVICE = 100;

    int hipInit(int flags);

    int hipRuntimeGetVersion(IntByReference version);

    int hipDriverGetVersion(IntByReference version);

    int hipGetDeviceCount(IntByReference count);

    int hipSetDevice(int device);

    int hipGetDevice(IntByReference device);

    int hipDeviceGetPCIBusId(byte[] pciBusId, int length, int device);

    int hipMalloc(LongByReference ptr, long size);

    int hipFree(long ptr);

    int hipHostMalloc(LongByReference ptr, long size, int flags);

    int hipHostFree(long ptr);

    int hipMemset(long dst, int value, long sizeBytes);

    /** {@code attributes} points at {@link HipAbi#SIZEOF_POINTER_ATTRIBUTE} bytes. */
    int hipPointerGetAttributes(Pointer attributes, long ptr);

    int hipMemGetAddressRange(LongByReference base, LongByReference size, long ptr);

    /** {@code handle} points at {@link HipAbi#SIZEOF_IPC_MEM_HANDLE} bytes. */
    int hipIpcGetMemHandle(Pointer handle, long devPtr);

    /** The handle is passed by value (a 64-byte struct, in memory under the x86-64 and AArch64 calling conventions). */
    int hipIpcOpenMemHandle(LongByReference devPtr, IpcMemHandle.ByValue handle, int flags);

    int hipIpcCloseMemHandle(long devPtr);

    int hipStreamCreateWithFlags(LongByReference stream, int flags);

    int hipStreamDestroy(long stream);

    int hipStreamSynchronize(long stream);

    int hipStreamQuery(long stream);

    int hipMemcpyAsync(long dst, long src, long sizeBytes, int kind, long stream);

    int hipMemcpy(long dst, long src, long sizeBytes, int kind);

    int hipGetLastError();

    String hipGetErrorName(int error);

    String hipGetErrorString(int error);

    /** {@code hipIpcMemHandle_t}: 64 opaque bytes. */
    @Structure.FieldOrder("reserved")
    class IpcMemHandle extends Structure {
        public byte[] reserved = new byte[HipAbi.SIZEOF_IPC_MEM_HANDLE];

        /** The struct passed by value. */
        public static final class ByValue extends IpcMemHandle implements Structure.ByValue {
            public ByValue(byte[] bytes) {
                System.arraycopy(bytes, 0, reserved, 0, reserved.length);
            }
        }
    }
}
