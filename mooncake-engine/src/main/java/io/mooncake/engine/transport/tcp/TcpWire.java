package io.mooncake.engine.transport.tcp;

/**
 * The reference's tcp data-port wire format (§5): a 24-byte header (u64 LE size, u64 LE
 * absolute address, opcode byte with bit 0x80 = v2, 7 padding bytes), a raw body, and in v2 an
 * 8-byte status frame whose high 32 bits are "MCTV".
 */
final class TcpWire {

    static final int HEADER_SIZE = 24;
    static final int STATUS_SIZE = 8;
    static final byte OP_READ = 0;
    static final byte OP_WRITE = 1;
    static final int V2_FLAG = 0x80;
    static final long STATUS_MAGIC = 0x4D435456L;
    static final int STATUS_OK = 0;
    static final int STATUS_REJECTED = 1;

    /** Size of each connection's staging buffers (input and output). */
    static final int BUFFER_SIZE = 256 * 1024;
    /**
     * Most staging units (two {@link #BUFFER_SIZE} buffers each) one I/O loop lends to its inbound
     * connections at a time: 16 MiB of direct memory per loop at most, allocated only as needed.
     */
    static final int SERVER_STAGING_UNITS_PER_LOOP = 32;
    /** Bodies below this are staged and copied; from it on they go straight to registered memory. */
    static final int COPY_THRESHOLD = 64 * 1024;
    /** Largest piece of a body one re-pointed direct buffer covers (its capacity is an int). */
    static final int MAX_WINDOW = 1 << 30;

    private TcpWire() {
    }

    /** The 64-bit value of a status frame. */
    static long statusFrame(int status) {
        return (STATUS_MAGIC << 32) | (status & 0xffffffffL);
    }

    /** Whether a received status frame carries the magic. */
    static boolean hasMagic(long frame) {
        return (frame >>> 32) == STATUS_MAGIC;
    }
}
