package io.mooncake.engine.api;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The ten protocol strings users may put in {@code mooncake.protocol} / {@code MOONCAKE_PROTOCOL}. */
public enum Protocol {
    TCP("tcp"),
    RDMA("rdma"),
    EFA("efa"),
    NVMEOF("nvmeof"),
    NVLINK("nvlink"),
    NVLINK_INTRA("nvlink_intra"),
    HIP("hip"),
    BAREX("barex"),
    CXL("cxl"),
    ASCEND("ascend");

    private final String id;

    Protocol(String id) {
        this.id = id;
    }

    /** The protocol string as written in configuration and in segment descriptors. */
    public String id() {
        return id;
    }

    /** All valid protocol strings, comma separated, for error messages. */
    public static String validNames() {
        return Arrays.stream(values()).map(Protocol::id).collect(Collectors.joining(", "));
    }

    /**
     * Parses a protocol string (case-insensitive, surrounding blanks ignored).
     *
     * @throws MooncakeException naming the value and the ten valid choices
     */
    public static Protocol of(String value) {
        if (value != null) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            for (Protocol p : values()) {
                if (p.id.equals(v)) {
                    return p;
                }
            }
        }
        throw new MooncakeException(ErrorCode.INVALID_ARGUMENT,
                "unknown protocol '" + value + "'; valid protocols are: " + validNames());
    }

    /** Whether {@code value} is one of the ten protocol strings of the reference. */
    public static boolean isWellKnown(String value) {
        for (Protocol p : values()) {
            if (p.id.equals(value)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Checks a protocol name's spelling (lower-case letters, digits and {@code _}, starting with a
     * letter) and returns it in lower case. The set of protocols is open: which names a node runs
     * is decided by the transports on its class path when the engine starts.
     *
     * @throws MooncakeException naming the value and the ten well-known choices
     */
    public static String checkName(String value) {
        String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        if (!v.matches("[a-z][a-z0-9_]{0,31}")) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT,
                    "unknown protocol '" + value + "'; valid protocols are: " + validNames()
                            + " (or the name of a transport on the class path)");
        }
        return v;
    }

    @Override
    public String toString() {
        return id;
    }
}
