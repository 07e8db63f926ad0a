package io.mooncake.jna.cuda;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;

/**
 * The CUDA driver API functions this project calls, as exported by {@code libcuda.so.1} (the
 * versioned symbols the toolkit's macros resolve to: {@code cuMemAlloc} is {@code cuMemAlloc_v2},
 * and so on). Every function returns a {@code CUresult}. {@code CUdeviceptr}, {@code size_t} and
 * {@code CUmemGenericAllocationHandle} are 64-bit ({@code long}); {@code CUdevice} is an
 * {@code int}; contexts, streams and events are opaque pointers. Structures are passed as native
 * memory laid out per {@link CudaAbi}, so a test double can implement this interface.
 */
public interface LibCuda extends Library {

    int cuInit(int flags);

    int cuDriverGetVersion(IntByReference version);

    int cuGetErrorName(int error, PointerByReference name);

    int cuGetErrorString(int error, PointerByReference text);

    int cuDeviceGetCount(IntByReference count);

    int cuDeviceGet(IntByReference device, int ordinal);

    int cuDeviceGetAttribute(IntByReference value, int attribute, int device);

    int cuDevicePrimaryCtxRetain(PointerByReference context, int device);

    int cuDevicePrimaryCtxRelease_v2(int device);

    int cuCtxSetCurrent(Pointer context);

    int cuMemAlloc_v2(LongByReference dptr, long bytes);

    int cuMemFree_v2(long dptr);

    int cuMemHostAlloc(PointerByReference pointer, long bytes, int flags);

    int cuMemFreeHost(Pointer pointer);

    int cuMemsetD8_v2(long dptr, byte value, long count);

    int cuMemGetAddressRange_v2(LongByReference base, LongByReference size, long dptr);

    /** {@code cuPointerGetAttribute(void *data, CUpointer_attribute attribute, CUdeviceptr ptr)}. */
    int cuPointerGetAttribute(Pointer data, int attribute, long ptr);

    /**
     * {@code cuPointerGetAttributes(unsigned n, CUpointer_attribute *attributes, void **data, CUdeviceptr ptr)}:
     * unlike the single form, a pointer unknown to CUDA is not an error; its attributes read as 0.
     */
    int cuPointerGetAttributes(int count, int[] attributes, Pointer[] data, long ptr);

    int cuMemcpyAsync(long dst, long src, long bytes, Pointer stream);

    int cuMemcpyHtoDAsync_v2(long dstDevice, long srcHost, long bytes, Pointer stream);

    int cuMemcpyDtoHAsync_v2(long dstHost, long srcDevice, long bytes, Pointer stream);

    int cuMemcpyDtoDAsync_v2(long dstDevice, long srcDevice, long bytes, Pointer stream);

    int cuMemcpyDtoD_v2(long dstDevice, long srcDevice, long bytes);

    int cuStreamCreate(PointerByReference stream, int flags);

    int cuStreamSynchronize(Pointer stream);

    int cuStreamQuery(Pointer stream);

    int cuStreamDestroy_v2(Pointer stream);

    int cuEventCreate(PointerByReference event, int flags);

    int cuEventRecord(Pointer event, Pointer stream);

    int cuEventQuery(Pointer event);

    int cuEventSynchronize(Pointer event);

    int cuEventDestroy_v2(Pointer event);

    /** {@code cuIpcGetMemHandle(CUipcMemHandle *handle, CUdeviceptr dptr)}: fills 64 bytes. */
    int cuIpcGetMemHandle(byte[] handle, long dptr);

    /** {@code cuIpcOpenMemHandle(CUdeviceptr *pdptr, CUipcMemHandle handle, unsigned flags)}: the handle by value. */
    int cuIpcOpenMemHandle_v2(LongByReference dptr, CudaAbi.IpcMemHandle handle, int flags);

    int cuIpcCloseMemHandle(long dptr);

    /** {@code cuMemGetAllocationGranularity(size_t *granularity, const CUmemAllocationProp *prop, option)}. */
    int cuMemGetAllocationGranularity(LongByReference granularity, Pointer prop, int option);

    int cuMemCreate(LongByReference handle, long size, Pointer prop, long flags);

    int cuMemRelease(long handle);

    int cuMemAddressReserve(LongByReference ptr, long size, long alignment, long addr, long flags);

    int cuMemAddressFree(long ptr, long size);

    int cuMemMap(long ptr, long size, long offset, long handle, long flags);

    int cuMemUnmap(long ptr, long size);

    /** {@code cuMemSetAccess(CUdeviceptr ptr, size_t size, const CUmemAccessDesc *desc, size_t count)}. */
    int cuMemSetAccess(long ptr, long size, Pointer desc, long count);

    /** {@code cuMemExportToShareableHandle(void *out, handle, CUmemAllocationHandleType type, unsigned long long flags)}. */
    int cuMemExportToShareableHandle(Pointer shareableHandle, long handle, int handleType, long flags);

    /**
     * {@code cuMemImportFromShareableHandle(CUmemGenericAllocationHandle *handle, void *osHandle, type)}:
     * for a POSIX file descriptor {@code osHandle} is the descriptor's value cast to a pointer; for a
     * fabric handle, a pointer to its 64 bytes.
     */
    int cuMemImportFromShareableHandle(LongByReference handle, Pointer osHandle, int handleType);
}
