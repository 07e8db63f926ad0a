package io.mooncake.transport.rdma;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;

/**
 * A NIC path as the reference's handshake names one end of an RDMA connection:
 * {@code <segment name>@<device name>}, e.g. {@code node-a:12345@mlx5_0}.
 *
 * @param segment the owner's segment name
 * @param device the verbs device name
 */
public record NicPath(String segment, String device) {

    public NicPath {
        if (segment == null || segment.isEmpty() || device == null || device.isEmpty() || device.indexOf('@') >= 0) {
            throw new IllegalArgumentException("bad NIC path parts '" + segment + "', '" + device + "'");
        }
    }

    /**
     * Parses {@code segment@device} (the device is after the last {@code @}).
     *
     * @param field the handshake field it came from, for the message
     */
    public static NicPath parse(String text, String field) {
        int at = text == null ? -1 : text.lastIndexOf('@');
        if (at <= 0 || at == text.length() - 1) {
            throw new MooncakeException(ErrorCode.MALFORMED_JSON, "handshake field " + field + " '" + text
                    + "' is not a NIC path; expected <segment name>@<device>, e.g. node-a:12345@mlx5_0");
        }
        return new NicPath(text.substring(0, at), text.substring(at + 1));
    }

    @Override
    public String toString() {
        return segment + "@" + device;
    }
}
