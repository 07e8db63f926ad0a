package io.mooncake.engine.api;

import java.util.List;

/**
 * An opened segment: the id requests name it by, and the buffers it published when it was
 * opened.
 *
 * @param id segment id ({@code SegmentID} in the reference)
 * @param name segment name
 * @param protocol the transport the owner runs
 * @param buffers published buffers
 */
public record SegmentHandle(long id, String name, String protocol, List<RemoteBuffer> buffers) {

    public SegmentHandle {
        buffers = List.copyOf(buffers);
    }

    /** The {@code index}-th published buffer. */
    public RemoteBuffer buffer(int index) {
        if (index < 0 || index >= buffers.size()) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "segment '" + name + "' has " + buffers.size()
                    + " buffers; index " + index + " does not exist");
        }
        return buffers.get(index);
    }
}
