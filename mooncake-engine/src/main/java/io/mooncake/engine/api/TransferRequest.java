package io.mooncake.engine.api;

import java.util.Objects;

/**
 * One request of a batch, as in the reference: copy {@code length} bytes between local address
 * {@code source} and address {@code targetOffset} of segment {@code targetId}.
 *
 * <p>{@code targetOffset} is the absolute address in the remote process, as the reference uses
 * it. The factories taking a {@link LocalBuffer} and a {@link RemoteBuffer} compute both
 * addresses and check both ranges, so applications never handle raw addresses.
 *
 * @param opcode READ (remote to local) or WRITE (local to remote)
 * @param source local address
 * @param targetId handle id from {@link TransferEngine#openSegment}
 * @param targetOffset remote address
 * @param length bytes, at least 0
 */
public record TransferRequest(OpCode opcode, long source, long targetId, long targetOffset, long length) {

    public TransferRequest {
        Objects.requireNonNull(opcode, "opcode");
        if (length < 0) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT,
                    "invalid length " + length + "; a transfer length must be >= 0");
        }
    }

    /** Reads {@code length} bytes at {@code remoteOffset} of {@code remote} into {@code local} at {@code localOffset}. */
    public static TransferRequest read(LocalBuffer local, long localOffset, RemoteBuffer remote, long remoteOffset,
            long length) {
        return of(OpCode.READ, local, localOffset, remote, remoteOffset, length);
    }

    /** Writes {@code length} bytes of {@code local} at {@code localOffset} to {@code remote} at {@code remoteOffset}. */
    public static TransferRequest write(LocalBuffer local, long localOffset, RemoteBuffer remote, long remoteOffset,
            long length) {
        return of(OpCode.WRITE, local, localOffset, remote, remoteOffset, length);
    }

    /** A request with bounds checked on both sides before anything is sent. */
    public static TransferRequest of(OpCode op, LocalBuffer local, long localOffset, RemoteBuffer remote,
            long remoteOffset, long length) {
        checkRange("local buffer", local.length(), localOffset, length);
        checkRange("remote buffer " + remote.segmentName(), remote.length(), remoteOffset, length);
        return new TransferRequest(op, local.address() + localOffset, remote.segmentId(),
                remote.address() + remoteOffset, length);
    }

    static void checkRange(String what, long capacity, long offset, long length) {
        if (offset < 0 || length < 0 || offset > capacity || length > capacity - offset) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "range [offset " + offset + ", length " + length
                    + "] is outside the " + what + " of " + capacity + " bytes");
        }
    }
}
