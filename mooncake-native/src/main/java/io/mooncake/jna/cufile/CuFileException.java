package io.mooncake.jna.cufile;

import java.util.List;

/** A cuFile call failed: the call, the {@code CUfileOpError} (by name) and the CUDA driver's code. */
public class CuFileException extends RuntimeException {

    /**
     * {@code CUfileOpError} names from 5001 on, in {@code cufile.h}'s order (the enum counts up
     * from {@code CUFILEOP_BASE_ERR}; NVIDIA's cuda-python restates the same order).
     */
    private static final List<String> NAMES = List.of("CU_FILE_DRIVER_NOT_INITIALIZED",
            "CU_FILE_DRIVER_INVALID_PROPS", "CU_FILE_DRIVER_UNSUPPORTED_LIMIT", "CU_FILE_DRIVER_VERSION_MISMATCH",
            "CU_FILE_DRIVER_VERSION_READ_ERROR", "CU_FILE_DRIVER_CLOSING", "CU_FILE_PLATFORM_NOT_SUPPORTED",
            "CU_FILE_IO_NOT_SUPPORTED", "CU_FILE_DEVICE_NOT_SUPPORTED", "CU_FILE_NVFS_DRIVER_ERROR",
            "CU_FILE_CUDA_DRIVER_ERROR", "CU_FILE_CUDA_POINTER_INVALID", "CU_FILE_CUDA_MEMORY_TYPE_INVALID",
            "CU_FILE_CUDA_POINTER_RANGE_ERROR", "CU_FILE_CUDA_CONTEXT_MISMATCH", "CU_FILE_INVALID_MAPPING_SIZE",
            "CU_FILE_INVALID_MAPPING_RANGE", "CU_FILE_INVALID_FILE_TYPE", "CU_FILE_INVALID_FILE_OPEN_FLAG",
            "CU_FILE_DIO_NOT_SET", "CU_FILE_INVALID_VALUE", "CU_FILE_MEMORY_ALREADY_REGISTERED",
            "CU_FILE_MEMORY_NOT_REGISTERED", "CU_FILE_PERMISSION_DENIED", "CU_FILE_DRIVER_ALREADY_OPEN",
            "CU_FILE_HANDLE_NOT_REGISTERED", "CU_FILE_HANDLE_ALREADY_REGISTERED", "CU_FILE_DEVICE_NOT_FOUND",
            "CU_FILE_INTERNAL_ERROR", "CU_FILE_GETNEWFD_FAILED");

    private final int error;

    public CuFileException(String message, int error) {
        super(message);
        this.error = error;
    }

    /** The {@code CUfileOpError}, 0 where the failure was not cuFile's (an {@code open} errno...). */
    public int error() {
        return error;
    }

    /** {@code CU_FILE_...(5001)} for a {@code CUfileOpError}. */
    public static String name(int error) {
        int i = error - LibCufile.CUFILEOP_BASE_ERR - 1;
        if (error == LibCufile.CU_FILE_SUCCESS) {
            return "CU_FILE_SUCCESS(0)";
        }
        return (i >= 0 && i < NAMES.size() ? NAMES.get(i) : "CUfileOpError") + "(" + error + ")";
    }
}
