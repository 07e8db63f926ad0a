package io.mooncake.jna.hip;

import com.sun.jna.Library;
import com.sun.jna.ptr.IntByReference;

/** JNA binding to the AMD ROCm HIP runtime ({@code libamdhip64.so}): device count and PCI addresses. */
public interface LibAmdHip64 extends Library {

    /** {@code hipErrorNoDevice}. */
    int HIP_ERROR_NO_DEVICE = 100;

    int hipGetDeviceCount(IntByReference count);

    int hipDeviceGetPCIBusId(byte[] pciBusId, int length, int device);

    String hipGetErrorString(int error);
}
