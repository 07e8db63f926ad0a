package io.mooncake.jna.cuda;

import com.sun.jna.Structure;

/**
 * Sizes, offsets and constants of the CUDA driver API this binding depends on, read off the public
 * {@code cuda.h} (CUDA 13.0.0, as mirrored field by field in NVIDIA's cuda-python
 * {@code cuda_bindings/cuda/bindings/cydriver.pxd.in}, "generated with version 13.0.0"; the same
 * layouts hold in CUDA 11.x and 12.x, cf. the 11.x {@code cuda/ccuda.pxd.in} of the same repository).
 * Debian ships no CUDA headers, so the layouts are written here as numbers; {@code CudaAbiTest}
 * checks that the JNA structures built from them have exactly these sizes, and, where a toolkit's
 * {@code cuda.h} exists (the GPU machine), compiles a C program against it and compares.
 *
 * <pre>
 * CUipcMemHandle      { char reserved[64]; }                                  64 bytes
 * CUmemFabricHandle   { unsigned char data[64]; }                              64 bytes
 * CUmemLocation       { CUmemLocationType type (int) @0; int id @4; }          8 bytes
 * CUmemAllocationProp { CUmemAllocationType type @0; CUmemAllocationHandleType requestedHandleTypes @4;
 *                       CUmemLocation location @8; void *win32HandleMetaData @16;
 *                       struct { uchar compressionType @24; uchar gpuDirectRDMACapable @25;
 *                                ushort usage @26; uchar reserved[4] @28 } allocFlags; } 32 bytes
 * CUmemAccessDesc     { CUmemLocation location @0; CUmemAccess_flags flags @8; } 12 bytes
 * </pre>
 */
public final class CudaAbi {

    private CudaAbi() {
    }

    public static final int CUDA_SUCCESS = 0;
    public static final int CUDA_ERROR_INVALID_VALUE = 1;
    public static final int CUDA_ERROR_OUT_OF_MEMORY = 2;
    public static final int CUDA_ERROR_NOT_INITIALIZED = 3;
    public static final int CUDA_ERROR_NO_DEVICE = 100;
    public static final int CUDA_ERROR_INVALID_DEVICE = 101;
    public static final int CUDA_ERROR_NOT_READY = 600;
    public static final int CUDA_ERROR_NOT_SUPPORTED = 801;
    public static final int CUDA_ERROR_NOT_PERMITTED = 800;

    public static final int IPC_HANDLE_BYTES = 64;
    public static final int FABRIC_HANDLE_BYTES = 64;
    public static final int MEM_ALLOCATION_PROP_BYTES = 32;
    public static final int MEM_ACCESS_DESC_BYTES = 12;

    // CUmemAllocationProp offsets
    public static final int PROP_TYPE = 0;
    public static final int PROP_REQUESTED_HANDLE_TYPES = 4;
    public static final int PROP_LOCATION_TYPE = 8;
    public static final int PROP_LOCATION_ID = 12;
    public static final int PROP_WIN32_META = 16;
    public static final int PROP_GPU_DIRECT_RDMA_CAPABLE = 25;
    // CUmemAccessDesc offsets
    public static final int ACCESS_LOCATION_TYPE = 0;
    public static final int ACCESS_LOCATION_ID = 4;
    public static final int ACCESS_FLAGS = 8;

    /** {@code CU_MEM_ALLOCATION_TYPE_PINNED}. */
    public static final int MEM_ALLOCATION_TYPE_PINNED = 1;
    /** {@code CU_MEM_LOCATION_TYPE_DEVICE}. */
    public static final int MEM_LOCATION_TYPE_DEVICE = 1;
    /** {@code CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR}. */
    public static final int MEM_HANDLE_TYPE_POSIX_FD = 0x1;
    /** {@code CU_MEM_HANDLE_TYPE_FABRIC}. */
    public static final int MEM_HANDLE_TYPE_FABRIC = 0x8;
    /** {@code CU_MEM_ACCESS_FLAGS_PROT_READWRITE}. */
    public static final int MEM_ACCESS_FLAGS_PROT_READWRITE = 3;
    /** {@code CU_MEM_ALLOC_GRANULARITY_MINIMUM}. */
    public static final int MEM_ALLOC_GRANULARITY_MINIMUM = 0;
    /** {@code CU_MEM_ALLOC_GRANULARITY_RECOMMENDED}. */
    public static final int MEM_ALLOC_GRANULARITY_RECOMMENDED = 1;

    /** {@code CU_MEMHOSTALLOC_PORTABLE}: pinned memory usable from every context. */
    public static final int MEMHOSTALLOC_PORTABLE = 0x01;
    /** {@code CU_IPC_MEM_LAZY_ENABLE_PEER_ACCESS}. */
    public static final int IPC_MEM_LAZY_ENABLE_PEER_ACCESS = 1;
    /** {@code CU_STREAM_NON_BLOCKING}. */
    public static final int STREAM_NON_BLOCKING = 1;
    /** {@code CU_EVENT_DISABLE_TIMING}. */
    public static final int EVENT_DISABLE_TIMING = 2;
    /** {@code CU_EVENT_DEFAULT}. */
    public static final int EVENT_DEFAULT = 0;

    // CUpointer_attribute
    public static final int POINTER_ATTRIBUTE_CONTEXT = 1;
    public static final int POINTER_ATTRIBUTE_MEMORY_TYPE = 2;
    public static final int POINTER_ATTRIBUTE_DEVICE_POINTER = 3;
    public static final int POINTER_ATTRIBUTE_IS_MANAGED = 8;
    public static final int POINTER_ATTRIBUTE_DEVICE_ORDINAL = 9;
    public static final int POINTER_ATTRIBUTE_IS_LEGACY_CUDA_IPC_CAPABLE = 10;
    public static final int POINTER_ATTRIBUTE_RANGE_START_ADDR = 11;
    public static final int POINTER_ATTRIBUTE_RANGE_SIZE = 12;
    public static final int POINTER_ATTRIBUTE_ALLOWED_HANDLE_TYPES = 14;

    // CUmemorytype
    public static final int MEMORYTYPE_HOST = 1;
    public static final int MEMORYTYPE_DEVICE = 2;
    public static final int MEMORYTYPE_ARRAY = 3;
    public static final int MEMORYTYPE_UNIFIED = 4;

    // CUdevice_attribute
    public static final int DEVICE_ATTRIBUTE_PCI_BUS_ID = 33;
    public static final int DEVICE_ATTRIBUTE_PCI_DEVICE_ID = 34;
    public static final int DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING = 41;
    public static final int DEVICE_ATTRIBUTE_PCI_DOMAIN_ID = 50;
    public static final int DEVICE_ATTRIBUTE_VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED = 102;
    public static final int DEVICE_ATTRIBUTE_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR_SUPPORTED = 103;
    public static final int DEVICE_ATTRIBUTE_GPU_DIRECT_RDMA_WITH_CUDA_VMM_SUPPORTED = 110;
    public static final int DEVICE_ATTRIBUTE_HANDLE_TYPE_FABRIC_SUPPORTED = 128;

    /** {@code CUipcMemHandle} passed by value ({@code cuIpcOpenMemHandle}). */
    @Structure.FieldOrder("reserved")
    public static class IpcMemHandle extends Structure implements Structure.ByValue {
        public byte[] reserved = new byte[IPC_HANDLE_BYTES];

        public IpcMemHandle() {
        }

        public IpcMemHandle(byte[] bytes) {
            if (bytes.length != IPC_HANDLE_BYTES) {
                throw new IllegalArgumentException("a CUipcMemHandle is " + IPC_HANDLE_BYTES + " bytes, not "
                        + bytes.length);
            }
            System.arraycopy(bytes, 0, reserved, 0, IPC_HANDLE_BYTES);
        }
    }
}
