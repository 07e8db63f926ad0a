package io.mooncake.jna.verbs;

import java.util.List;

/**
 * Facade of libibverbs for probes: what the user-space verbs stack can see. Implementations are
 * thread-safe and never throw for a verbs error; they return it in {@link DeviceList#errno()}.
 */
public interface Verbs {

    /** Lists the verbs devices, as {@code ibv_devices} does. */
    DeviceList devices();

    /**
     * One verbs device.
     *
     * @param name the device name, e.g. {@code mlx5_0}
     * @param nodeGuid the node GUID in host order
     */
    record Device(String name, long nodeGuid) {

        /** The GUID as {@code ibv_devices} prints it: 16 lowercase hex digits. */
        public String guidHex() {
            return String.format("%016x", nodeGuid);
        }
    }

    /**
     * The result of {@code ibv_get_device_list}.
     *
     * @param devices the devices, empty when none or on error
     * @param errno the errno when the call returned NULL (38, ENOSYS: no RDMA subsystem in the
     *        kernel), 0 otherwise
     */
    record DeviceList(List<Device> devices, int errno) {

        public DeviceList {
            devices = List.copyOf(devices);
        }

        /** Names of the listed devices. */
        public List<String> names() {
            return devices.stream().map(Device::name).toList();
        }
    }
}
