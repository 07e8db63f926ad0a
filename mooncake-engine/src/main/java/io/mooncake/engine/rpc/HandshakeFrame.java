package io.mooncake.engine.rpc;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A handshake frame: u64 little-endian length (type byte + JSON), the type byte, compact JSON
 * normally ending in a newline. Legacy frames carry no type byte (length = JSON size); a receiver
 * recognises them by a first payload byte above 3 and treats them as CONNECTION.
 *
 * @param type the request type
 * @param json the JSON text, as sent
 * @param legacy whether the frame had no type byte (replies must use the same form)
 */
public record HandshakeFrame(HandshakeType type, String json, boolean legacy) {

    /** Bytes of the length prefix. */
    public static final int PREFIX = 8;

    /** The frame's bytes on the wire. */
    public byte[] encode() {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        int typeBytes = legacy ? 0 : 1;
        ByteBuffer b = ByteBuffer.allocate(PREFIX + typeBytes + body.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong((long) typeBytes + body.length);
        if (!legacy) {
            b.put((byte) type.ordinal());
        }
        b.put(body);
        return b.array();
    }

    /** Writes the frame and flushes. */
    public void writeTo(OutputStream out) throws IOException {
        out.write(encode());
        out.flush();
    }

    /**
     * Reads one frame.
     *
     * @param maxLength largest accepted length ({@code MC_HANDSHAKE_MAX_LENGTH})
     * @throws EOFException when the stream ends before a full frame
     * @throws MooncakeException {@link ErrorCode#MALFORMED_JSON} for a zero or oversized length
     */
    public static HandshakeFrame readFrom(InputStream in, int maxLength) throws IOException {
        byte[] prefix = in.readNBytes(PREFIX);
        if (prefix.length < PREFIX) {
            throw new EOFException("handshake frame ended after " + prefix.length + " of 8 length bytes");
        }
        if (prefix[0] == 'M' && prefix[1] == 'C' && prefix[2] == 'A' && prefix[3] == '1') {
            throw new MooncakeException(ErrorCode.REJECT_HANDSHAKE, "the peer sent an authentication message "
                    + "instead of a handshake frame: one side sets mooncake.auth.secret (MOONCAKE_AUTH_SECRET) and "
                    + "the other does not; set the same secret on every node");
        }
        int length = checkLength(ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN).getLong(), maxLength);
        byte[] payload = in.readNBytes(length);
        if (payload.length < length) {
            throw new EOFException("handshake frame ended after " + payload.length + " of " + length + " bytes");
        }
        return decode(payload);
    }

    /**
     * Checks a frame's length prefix.
     *
     * @return the length, as an int
     * @throws MooncakeException {@link ErrorCode#MALFORMED_JSON} for a zero, negative or oversized length
     */
    static int checkLength(long length, int maxLength) {
        if (length <= 0 || length > maxLength) {
            throw new MooncakeException(ErrorCode.MALFORMED_JSON, "handshake frame length " + Long.toUnsignedString(length)
                    + " is outside 1.." + maxLength + " (MC_HANDSHAKE_MAX_LENGTH)");
        }
        return (int) length;
    }

    /** Decodes a frame's payload (the bytes after the length prefix; at least one). */
    static HandshakeFrame decode(byte[] payload) {
        int first = payload[0] & 0xff;
        if (first <= 3) {
            return new HandshakeFrame(HandshakeType.of(first),
                    new String(payload, 1, payload.length - 1, StandardCharsets.UTF_8), false);
        }
        return new HandshakeFrame(HandshakeType.CONNECTION, new String(payload, StandardCharsets.UTF_8), true);
    }
}
