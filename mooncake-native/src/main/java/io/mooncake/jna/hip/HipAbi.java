package io.mooncake.jna.hip;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The HIP ABI this binding relies on, for 64-bit Linux. Constants marked {@link C} are proved by
 * {@code HipAbiTest}, which compiles each C expression against Debian 12's ROCm 5.2 headers
 * ({@code libamdhip64-dev}) and compares. Where ROCm 6 changed a value (the {@code hipMemoryType}
 * numbering and {@code hipIpcMemLazyEnablePeerAccess}), both are listed and {@link JnaHip} picks
 * by {@code hipRuntimeGetVersion}; the ROCm 6 values come from ROCm 6.x's
 * {@code hip_runtime_api.h} and cannot be compiled here (Debian ships no ROCm 6 headers).
 * The struct layouts did not change between 5.x and 6.x.
 */
public final class HipAbi {

    private HipAbi() {
    }

    /** The C expression a constant stands for. */
    @Documented
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    public @interface C {
        /** A C expression whose value, cast to {@code long}, equals the constant. */
        String value();
    }

    @C("sizeof(hipIpcMemHandle_t)")
    public static final int SIZEOF_IPC_MEM_HANDLE = 64;

    @C("sizeof(hipPointerAttribute_t)")
    public static final int SIZEOF_POINTER_ATTRIBUTE = 32;

    @C("offsetof(hipPointerAttribute_t, memoryType)")
    public static final int POINTER_ATTRIBUTE_TYPE = 0;

    @C("offsetof(hipPointerAttribute_t, device)")
    public static final int POINTER_ATTRIBUTE_DEVICE = 4;

    @C("offsetof(hipPointerAttribute_t, devicePointer)")
    public static final int POINTER_ATTRIBUTE_DEVICE_POINTER = 8;

    @C("offsetof(hipPointerAttribute_t, hostPointer)")
    public static final int POINTER_ATTRIBUTE_HOST_POINTER = 16;

    @C("offsetof(hipPointerAttribute_t, isManaged)")
    public static final int POINTER_ATTRIBUTE_IS_MANAGED = 24;

    @C("offsetof(hipPointerAttribute_t, allocationFlags)")
    public static final int POINTER_ATTRIBUTE_ALLOCATION_FLAGS = 28;

    @C("sizeof(enum hipMemoryType)")
    public static final int SIZEOF_MEMORY_TYPE = 4;

    @C("hipMemcpyDefault")
    public static final int MEMCPY_DEFAULT = 4;

    @C("hipHostMallocDefault")
    public static final int HOST_MALLOC_DEFAULT = 0;

    @C("hipStreamNonBlocking")
    public static final int STREAM_NON_BLOCKING = 1;

    @C("hipSuccess")
    public static final int SUCCESS = 0;

    @C("hipErrorInvalidValue")
    public static final int ERROR_INVALID_VALUE = 1;

    @C("hipErrorNoDevice")
    public static final int ERROR_NO_DEVICE = 100;

    @C("hipErrorInvalidDevice")
    public static final int ERROR_INVALID_DEVICE = 101;

    @C("hipErrorNotReady")
    public static final int ERROR_NOT_READY = 600;

    @C("HIP_VERSION_MAJOR * 10000000 + HIP_VERSION_MINOR * 100000")
    public static final int HEADERS_VERSION = 50200000;

    // ROCm 5.x numbering (the headers this module is checked against)

    @C("hipIpcMemLazyEnablePeerAccess")
    public static final int IPC_MEM_LAZY_ENABLE_PEER_ACCESS_V5 = 0;

    @C("hipMemoryTypeHost")
    public static final int MEMORY_TYPE_HOST_V5 = 0;

    @C("hipMemoryTypeDevice")
    public static final int MEMORY_TYPE_DEVICE_V5 = 1;

    @C("hipMemoryTypeArray")
    public static final int MEMORY_TYPE_ARRAY_V5 = 2;

    @C("hipMemoryTypeUnified")
    public static final int MEMORY_TYPE_UNIFIED_V5 = 3;

    // ROCm 6.x numbering (hip_runtime_api.h of ROCm 6.0 and later; not compilable here)

    /** ROCm 6: {@code #define hipIpcMemLazyEnablePeerAccess 0x01}. */
    public static final int IPC_MEM_LAZY_ENABLE_PEER_ACCESS_V6 = 1;
    /** ROCm 6: {@code hipMemoryTypeUnregistered = 0}. */
    public static final int MEMORY_TYPE_UNREGISTERED_V6 = 0;
    /** ROCm 6: {@code hipMemoryTypeHost = 1}. */
    public static final int MEMORY_TYPE_HOST_V6 = 1;
    /** ROCm 6: {@code hipMemoryTypeDevice = 2}. */
    public static final int MEMORY_TYPE_DEVICE_V6 = 2;
    /** ROCm 6: {@code hipMemoryTypeManaged = 3}. */
    public static final int MEMORY_TYPE_MANAGED_V6 = 3;
    /** ROCm 6: {@code hipMemoryTypeArray = 10}. */
    public static final int MEMORY_TYPE_ARRAY_V6 = 10;
    /** ROCm 6: {@code hipMemoryTypeUnified = 11}. */
    public static final int MEMORY_TYPE_UNIFIED_V6 = 11;

    /** The runtime's major version from {@code hipRuntimeGetVersion} ({@code major * 10000000 + minor * 100000 + patch}). */
    public static int major(int runtimeVersion) {
        return runtimeVersion / 10_000_000;
    }

    /** {@code 50221153} as {@code 5.2.21153}. */
    public static String describeVersion(int runtimeVersion) {
        return major(runtimeVersion) + "." + (runtimeVersion / 100_000) % 100 + "." + runtimeVersion % 100_000;
    }

    /** The memory type a runtime of this version reported, in version-independent terms. */
    public static Hip.MemoryType memoryType(int raw, int runtimeVersion) {
        if (major(runtimeVersion) >= 6) {
            return switch (raw) {
                case MEMORY_TYPE_UNREGISTERED_V6 -> Hip.MemoryType.UNREGISTERED;
                case MEMORY_TYPE_HOST_V6 -> Hip.MemoryType.HOST;
                case MEMORY_TYPE_DEVICE_V6 -> Hip.MemoryType.DEVICE;
                case MEMORY_TYPE_MANAGED_V6 -> Hip.MemoryType.MANAGED;
                case MEMORY_TYPE_ARRAY_V6 -> Hip.MemoryType.ARRAY;
                case MEMORY_TYPE_UNIFIED_V6 -> Hip.MemoryType.UNIFIED;
                default -> Hip.MemoryType.UNKNOWN;
            };
        }
        return switch (raw) {
            case MEMORY_TYPE_HOST_V5 -> Hip.MemoryType.HOST;
            case MEMORY_TYPE_DEVICE_V5 -> Hip.MemoryType.DEVICE;
            case MEMORY_TYPE_ARRAY_V5 -> Hip.MemoryType.ARRAY;
            case MEMORY_TYPE_UNIFIED_V5 -> Hip.MemoryType.UNIFIED;
            default -> Hip.MemoryType.UNKNOWN;
        };
    }

    /** The {@code hipIpcOpenMemHandle} flag a runtime of this version accepts. */
    public static int ipcLazyEnablePeerAccess(int runtimeVersion) {
        return major(runtimeVersion) >= 6 ? IPC_MEM_LAZY_ENABLE_PEER_ACCESS_V6 : IPC_MEM_LAZY_ENABLE_PEER_ACCESS_V5;
    }
}
