package io.mooncake.engine.config;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parsers for the value forms of the reference's Python configuration layer (the Mooncake JSON
 * file and the {@code MOONCAKE_*} variables): sizes and booleans.
 *
 * <p>Sizes: a whole number of bytes, or a number (decimals allowed) followed by a
 * case-insensitive unit {@code b}, {@code k}/{@code kb}, {@code m}/{@code mb}, {@code g}/{@code gb},
 * {@code t}/{@code tb}, all powers of 1024 ({@code "3GB"} = 3 * 2^30, {@code "1.5g"} = 1.5 * 2^30,
 * rounded down to a whole byte). Blanks between number and unit are allowed. {@code GiB}-style
 * spellings and negative values are rejected, as in the reference. These forms are a superset of
 * Spring's {@code DataSize} forms without a default unit ({@code 10MB}, {@code 512B}, {@code 1024}).
 *
 * <p>Booleans: {@code true/1/yes/on/enable} and {@code false/0/no/off/disable}, case-insensitive;
 * anything else is an error.
 *
 * <p>Stateless and thread-safe.
 */
public final class ConfigValues {

    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)\\s*([a-zA-Z]*)");

    /** The accepted size forms, for error messages. */
    public static final String SIZE_FORMS = "a number of bytes or a number with unit B, K/KB, M/MB, G/GB or T/TB "
            + "(powers of 1024, case-insensitive, decimals allowed), e.g. 3GB or 512mb";

    private ConfigValues() {
    }

    /**
     * Parses a size.
     *
     * @param value the text, e.g. {@code "3GB"}
     * @param name what the value is for (a property, variable or JSON key), named in errors
     * @return the size in bytes
     * @throws MooncakeException naming {@code name}, the value and the accepted forms
     */
    public static long parseSize(String value, String name) {
        if (value == null || value.isBlank()) {
            throw badSize(name, value, "it is empty");
        }
        String v = value.trim();
        if (v.startsWith("-")) {
            throw badSize(name, value, "sizes cannot be negative");
        }
        Matcher m = SIZE.matcher(v);
        if (!m.matches()) {
            throw badSize(name, value, "it is not a number with an optional unit");
        }
        int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "", "b" -> 0;
            case "k", "kb" -> 10;
            case "m", "mb" -> 20;
            case "g", "gb" -> 30;
            case "t", "tb" -> 40;
            default -> throw badSize(name, value, "unit '" + m.group(2) + "' is not supported");
        };
        BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(1L << shift))
                .setScale(0, RoundingMode.DOWN);
        if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw badSize(name, value, "it does not fit in 64 bits");
        }
        return bytes.longValueExact();
    }

    /**
     * Parses a boolean in the reference's forms.
     *
     * @throws MooncakeException naming {@code name}, the value and the accepted forms
     */
    public static boolean parseBoolean(String value, String name) {
        String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        switch (v) {
            case "true", "1", "yes", "on", "enable":
                return true;
            case "false", "0", "no", "off", "disable":
                return false;
            default:
                throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "invalid boolean " + name + "='" + value
                        + "'; use true, 1, yes, on, enable or false, 0, no, off, disable");
        }
    }

    private static MooncakeException badSize(String name, String value, String why) {
        return new MooncakeException(ErrorCode.INVALID_ARGUMENT,
                "invalid size " + name + "='" + value + "': " + why + "; use " + SIZE_FORMS);
    }
}
