package io.mooncake.probe;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Small readers for sysfs and procfs attribute files. Every reader treats an unreadable file as
 * absent (sysfs answers some reads with EINVAL or EIO), so probes never throw on a partial tree.
 */
public final class Sysfs {

    /** Orders names with embedded numbers naturally: {@code mlx5_2} before {@code mlx5_10}. */
    public static final Comparator<String> NATURAL = Sysfs::compareNatural;

    private Sysfs() {
    }

    /** The trimmed content of a one-value attribute file. */
    public static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file, StandardCharsets.UTF_8).trim());
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The attribute as a string, or {@code fallback}. */
    public static String read(Path file, String fallback) {
        return read(file).orElse(fallback);
    }

    /** An integer attribute written in decimal or as {@code 0x...} hex, or {@code fallback}. */
    public static long readLong(Path file, long fallback) {
        return read(file).map(s -> parseLong(s, fallback)).orElse(fallback);
    }

    /** Parses decimal or {@code 0x} hex; {@code fallback} when it is neither. */
    public static long parseLong(String s, long fallback) {
        try {
            String t = s.trim();
            if (t.startsWith("0x") || t.startsWith("0X")) {
                return Long.parseUnsignedLong(t.substring(2), 16);
            }
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    /** The NUMA node of a device directory's {@code numa_node}, -1 when unknown. */
    public static int numaNode(Path deviceDir) {
        return (int) readLong(deviceDir.resolve("numa_node"), -1);
    }

    /** Entries of a directory in natural order; empty when it does not exist or cannot be read. */
    public static List<Path> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> out = new ArrayList<>(s.toList());
            out.sort(Comparator.comparing(p -> p.getFileName().toString(), NATURAL));
            return out;
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    /** The resolved path of a (symbolic link to a) directory. */
    public static Optional<Path> realPath(Path p) {
        try {
            return Optional.of(p.toRealPath());
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The last component of what a symbolic link such as {@code device/driver} resolves to. */
    public static String linkTarget(Path link) {
        return realPath(link).map(p -> p.getFileName().toString()).orElse("");
    }

    private static int compareNatural(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            char ca = a.charAt(i);
            char cb = b.charAt(j);
            if (Character.isDigit(ca) && Character.isDigit(cb)) {
                int si = i;
                int sj = j;
                while (i < a.length() && Character.isDigit(a.charAt(i))) {
                    i++;
                }
                while (j < b.length() && Character.isDigit(b.charAt(j))) {
                    j++;
                }
                String na = a.substring(si, i).replaceFirst("^0+(?=.)", "");
                String nb = b.substring(sj, j).replaceFirst("^0+(?=.)", "");
                int c = na.length() != nb.length() ? Integer.compare(na.length(), nb.length()) : na.compareTo(nb);
                if (c != 0) {
                    return c;
                }
            } else {
                if (ca != cb) {
                    return Character.compare(ca, cb);
                }
                i++;
                j++;
            }
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
