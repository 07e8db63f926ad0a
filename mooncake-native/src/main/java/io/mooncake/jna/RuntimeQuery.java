package io.mooncake.jna;

import java.util.List;

/**
 * What an accelerator runtime (HIP, AscendCL, CNDrv) reported when asked for its devices.
 *
 * @param status the runtime's return code of the failing call, 0 when every call succeeded
 * @param error the runtime's text for {@code status}, {@code null} when it succeeded
 * @param deviceCount devices the runtime sees
 * @param pciBusIds PCI addresses of those devices in runtime order (normalised to sysfs form,
 *        {@code 0000:3b:00.0}), empty when the runtime cannot tell
 */
public record RuntimeQuery(int status, String error, int deviceCount, List<String> pciBusIds) {

    public RuntimeQuery {
        pciBusIds = List.copyOf(pciBusIds);
    }

    /** A successful query. */
    public static RuntimeQuery devices(int count, List<String> pciBusIds) {
        return new RuntimeQuery(0, null, count, pciBusIds);
    }

    /** A failed query. */
    public static RuntimeQuery failed(int status, String error) {
        return new RuntimeQuery(status, error, 0, List.of());
    }

    /** Whether the runtime answered without error. */
    public boolean ok() {
        return status == 0;
    }

    /**
     * Normalises a PCI bus id as runtimes print it ({@code 00000000:3B:00.0}, {@code 0000:3b:00.0})
     * to the sysfs form ({@code 0000:3b:00.0}).
     */
    public static String normalizePciBusId(String busId) {
        String s = busId.trim().toLowerCase(java.util.Locale.ROOT);
        int colon = s.indexOf(':');
        if (colon < 0) {
            return s;
        }
        String domain = s.substring(0, colon);
        String rest = s.substring(colon);
        if (domain.length() > 4) {
            domain = domain.substring(domain.length() - 4);
        }
        while (domain.length() < 4) {
            domain = "0" + domain;
        }
        return domain + rest;
    }
}
