package io.mooncake.transport.nvlinkintra;

import io.mooncake.device.cuda.PeerMapping;
import io.mooncake.device.cuda.PeerMappings;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.jna.cuda.Cuda;
import io.mooncake.jna.cuda.CudaAbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How nvlink_intra maps peers' allocations into this process (cached once per (peer, handle, local
 * device) by {@link PeerMappings}): opened with {@code cuIpcOpenMemHandle}, and closed
 * ({@code cuIpcCloseMemHandle}) once the peer is invalidated (it left, or re-registered its memory)
 * and the last copy released the mapping. Thread-safe.
 */
final class IpcMappings implements PeerMappings.Opener<IpcMappings.Mapping> {

    private static final Logger log = LoggerFactory.getLogger(IpcMappings.class);

    private final Cuda cuda;

    IpcMappings(Cuda cuda) {
        this.cuda = cuda;
    }

    /** A mapping of one peer allocation: its base in this process, held by copies. */
    final class Mapping extends PeerMapping {

        Mapping(PeerMapping.Key key, long base) {
            super(key, base);
        }

        @Override
        protected void unmap() {
            try {
                cuda.ipcClose(key().ordinal(), base());
                log.debug("Closed the CUDA IPC mapping of {} at 0x{}", key().segment(), Long.toHexString(base()));
            } catch (MooncakeException e) {
                log.warn("Closing the CUDA IPC mapping of {}: {}", key().segment(), e.getMessage());
            }
        }
    }

    /**
     * Opens the handle {@code key} names in device {@code key.ordinal()}'s context (an IPC handle
     * carries no size: {@code sizeHint} is not used).
     *
     * @throws MooncakeException when the driver refuses the handle (named)
     */
    @Override
    public Mapping open(PeerMapping.Key key, long sizeHint) {
        byte[] handle = Cuda.fromHex(key.handle(), CudaAbi.IPC_HANDLE_BYTES);
        long base = cuda.ipcOpen(key.ordinal(), handle);
        log.info("Opened the CUDA IPC handle of a buffer of {} on cuda:{} at 0x{}", key.segment(), key.ordinal(),
                Long.toHexString(base));
        return new Mapping(key, base);
    }
}
