package io.mooncake.jna.cndrv;

import com.sun.jna.Library;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

/** JNA binding to the Cambricon driver API ({@code libcndrv.so}, Neuware): init and device count. */
public interface LibCndrv extends Library {

    int cnInit(int flags);

    int cnDeviceGetCount(IntByReference count);

    int cnGetErrorString(int error, PointerByReference text);
}
