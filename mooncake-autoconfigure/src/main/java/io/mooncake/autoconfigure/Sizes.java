package io.mooncake.autoconfigure;

/** Formats byte counts for messages. */
final class Sizes {

    private Sizes() {
    }

    /** {@code 3221225472} as {@code 3 GB (3221225472 bytes)}; exact multiples only get a unit. */
    static String format(long bytes) {
        String[] units = {"TB", "GB", "MB", "KB"};
        int[] shifts = {40, 30, 20, 10};
        for (int i = 0; i < units.length; i++) {
            long unit = 1L << shifts[i];
            if (bytes >= unit && bytes % unit == 0) {
                return (bytes / unit) + " " + units[i] + " (" + bytes + " bytes)";
            }
        }
        return bytes + " bytes";
    }
}
