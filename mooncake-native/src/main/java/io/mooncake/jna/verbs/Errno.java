package io.mooncake.jna.verbs;

import java.util.Map;

/** Names of the errno values verbs calls return, for messages (no libc call needed). */
final class Errno {

    private static final Map<Integer, String> TEXT = Map.ofEntries(Map.entry(1, "Operation not permitted"),
            Map.entry(2, "No such file or directory"), Map.entry(5, "Input/output error"),
            Map.entry(11, "Resource temporarily unavailable"), Map.entry(12, "Cannot allocate memory"),
            Map.entry(13, "Permission denied"), Map.entry(14, "Bad address"), Map.entry(16, "Device or resource busy"),
            Map.entry(19, "No such device"), Map.entry(22, "Invalid argument"), Map.entry(24, "Too many open files"),
            Map.entry(28, "No space left on device"), Map.entry(38, "Function not implemented"),
            Map.entry(95, "Operation not supported"), Map.entry(110, "Connection timed out"));

    private Errno() {
    }

    static String text(int errno) {
        return TEXT.getOrDefault(Math.abs(errno), "see errno.h");
    }
}
