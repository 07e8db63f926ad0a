package io.mooncake.engine.metadata;

import java.util.Objects;

/**
 * One entry of a descriptor's {@code devices} array: a NIC the owner exposes.
 *
 * @param name device name such as {@code mlx5_0}
 * @param lid port LID (0 for RoCE and EFA)
 * @param gid 16-byte GID as lowercase hex pairs joined by {@code :}, or an EFA address in hex
 */
public record DeviceDescriptor(String name, int lid, String gid) {
    public DeviceDescriptor {
        Objects.requireNonNull(name, "name");
    }
}
