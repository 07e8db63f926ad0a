package io.mooncake.transport.ascend;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;

/**
 * The local server name an ascend node is started with, {@code <host ip>:<port>:npu_<N>}, as the
 * reference's ascend (HCCL) transport parses it: the segment it publishes is
 * {@code <host ip>:<port>}, and {@code N} is the NPU's physical id ({@code devicePhyId}).
 *
 * @param hostIp the host part (an IPv4 address: the reference parses it with {@code inet_pton(AF_INET)})
 * @param port the port part
 * @param devicePhyId the NPU's physical id
 */
public record AscendSegmentName(String hostIp, int port, int devicePhyId) {

    /** The segment name the node publishes: {@code <host ip>:<port>}. */
    public String segmentName() {
        return hostIp + ":" + port;
    }

    @Override
    public String toString() {
        return segmentName() + ":npu_" + devicePhyId;
    }

    /**
     * Parses {@code ip:port:npu_N}.
     *
     * @param origin where the name came from, for the message ({@code mooncake.local-hostname})
     * @throws MooncakeException (INVALID_ARGUMENT) naming the part that is wrong, the value and the fix
     */
    public static AscendSegmentName parse(String name, String origin) {
        String fix = "; the ascend transport needs " + origin + " of the form <host ip>:<port>:npu_<N>, e.g. "
                + "10.0.0.5:12345:npu_0";
        if (name == null) {
            throw bad(origin + " is not set" + fix);
        }
        int first = name.indexOf(':');
        int second = first < 0 ? -1 : name.indexOf(':', first + 1);
        if (first <= 0 || second < 0) {
            throw bad(origin + " '" + name + "' has no <host ip>:<port>:npu_<N> parts" + fix);
        }
        String host = name.substring(0, first);
        if (!isIpv4(host)) {
            throw bad(origin + " '" + name + "': host '" + host + "' is not an IPv4 address (HCCL ranks are "
                    + "addressed by IPv4)" + fix);
        }
        String portText = name.substring(first + 1, second);
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) {
            throw bad(origin + " '" + name + "': port '" + portText + "' is not a number from 0 to 65535" + fix);
        }
        String npu = name.substring(second + 1);
        if (!npu.startsWith("npu_")) {
            throw bad(origin + " '" + name + "': '" + npu + "' does not start with npu_" + fix);
        }
        int id;
        try {
            id = Integer.parseInt(npu.substring(4));
        } catch (NumberFormatException e) {
            id = -1;
        }
        if (id < 0) {
            throw bad(origin + " '" + name + "': NPU id '" + npu.substring(4) + "' is not a non-negative number" + fix);
        }
        return new AscendSegmentName(host, port, id);
    }

    static boolean isIpv4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit) || Integer.parseInt(p) > 255) {
                return false;
            }
        }
        return true;
    }

    private static MooncakeException bad(String message) {
        return new MooncakeException(ErrorCode.INVALID_ARGUMENT, message);
    }
}
