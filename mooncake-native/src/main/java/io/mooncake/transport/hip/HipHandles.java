package io.mooncake.transport.hip;

import io.mooncake.jna.hip.HipAbi;
import java.util.HexFormat;

/**
 * The descriptor form of a HIP IPC handle, as the reference writes it: the 64 bytes of
 * {@code hipIpcMemHandle_t} as 128 uppercase hex digits in the buffer's {@code shm_name}.
 */
public final class HipHandles {

    private static final HexFormat UPPER = HexFormat.of().withUpperCase();

    private HipHandles() {
    }

    /** 64 handle bytes as 128 uppercase hex digits. */
    public static String encode(byte[] handle) {
        if (handle.length != HipAbi.SIZEOF_IPC_MEM_HANDLE) {
            throw new IllegalArgumentException("a hipIpcMemHandle_t has " + HipAbi.SIZEOF_IPC_MEM_HANDLE + " bytes, not "
                    + handle.length);
        }
        return UPPER.formatHex(handle);
    }

    /** Whether {@code shmName} holds a HIP IPC handle (128 hex digits, either case). */
    public static boolean isIpcHandle(String shmName) {
        if (shmName == null || shmName.length() != 2 * HipAbi.SIZEOF_IPC_MEM_HANDLE) {
            return false;
        }
        for (int i = 0; i < shmName.length(); i++) {
            if (Character.digit(shmName.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * The handle bytes of {@code shmName}.
     *
     * @throws IllegalArgumentException naming what the field holds instead
     */
    public static byte[] decode(String shmName) {
        if (!isIpcHandle(shmName)) {
            throw new IllegalArgumentException(describe(shmName));
        }
        return HexFormat.of().parseHex(shmName);
    }

    /** Why {@code shmName} is no HIP IPC handle, for messages. */
    static String describe(String shmName) {
        if (shmName == null || shmName.isEmpty()) {
            return "the buffer publishes no shm_name (no HIP IPC handle): it is not device memory exported by a hip "
                    + "transport";
        }
        if (shmName.length() % 2 == 0 && shmName.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            return "shm_name holds " + shmName.length() / 2 + " bytes, not a " + HipAbi.SIZEOF_IPC_MEM_HANDLE
                    + "-byte hipIpcMemHandle_t: the peer exports another kind of handle (a fabric handle with "
                    + "MC_USE_HIP_IPC=0, or a CUDA/MUSA handle), which the hip transport does not open";
        }
        return "shm_name '" + (shmName.length() > 24 ? shmName.substring(0, 24) + "..." : shmName)
                + "' is not hexadecimal";
    }
}
