package io.mooncake.transport.hip;

import io.mooncake.device.hip.HipDeviceMemory;
import io.mooncake.device.hip.HipRuntime;
import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.memory.Allocation;
import io.mooncake.engine.memory.DeviceMemoryAccess;
import io.mooncake.engine.transport.Availability;
import io.mooncake.engine.transport.Transport;
import io.mooncake.engine.transport.TransportContext;
import io.mooncake.engine.transport.TransportProvider;
import io.mooncake.testing.HipTestDouble;

/**
 * Wires the HIP TEST DOUBLE ({@link HipTestDouble}: stands for AMD GPUs, absent on this machine)
 * into engines: protocol {@value #PROTOCOL} runs the real {@link HipTransport} over a new double
 * "process" per engine, and {@link DeviceAccess} checks {@code hip:N} registrations against the
 * double. Both are registered with {@link java.util.ServiceLoader} on the test class path only and
 * do nothing unless a test {@link #activate activated} a simulated machine, so they never shadow
 * the real runtime in other tests.
 */
public final class HipDouble {

    /** The protocol name engines use for the transport over the double. */
    public static final String PROTOCOL = "hip_double";

    private static volatile HipTestDouble.Gpus active;

    private HipDouble() {
    }

    /** Starts a simulated machine with {@code devices} GPUs for the engines started from now on. */
    public static HipTestDouble.Gpus activate(int devices) {
        HipTestDouble.Gpus g = new HipTestDouble.Gpus(devices);
        active = g;
        return g;
    }

    /** Ends the simulation (engines started later no longer see the double); closes the machine. */
    public static void deactivate(HipTestDouble.Gpus gpus) {
        if (active == gpus) {
            active = null;
        }
        gpus.close();
    }

    static HipTestDouble.Gpus gpus() {
        HipTestDouble.Gpus g = active;
        if (g == null) {
            throw new MooncakeException(ErrorCode.TRANSPORT_UNAVAILABLE, "no HIP test double is active");
        }
        return g;
    }

    /** The transport over the double. */
    public static final class Provider implements TransportProvider {

        @Override
        public String protocol() {
            return PROTOCOL;
        }

        @Override
        public Availability availability(TransportContext context) {
            return active == null ? Availability.unavailable(Availability.Cause.NO_DEVICE,
                    "the HIP test double is not active", "activate it in the test")
                    : Availability.ready("HIP test double (stands for AMD GPUs)", java.util.Map.of());
        }

        @Override
        public Transport create(TransportContext context) {
            return new HipTransport(context, PROTOCOL, HipRuntime.of(gpus().process()), 2);
        }
    }

    /** hip:N registrations checked against the double while it is active. */
    public static final class DeviceAccess implements DeviceMemoryAccess {

        private volatile HipTestDouble.Gpus gpus;
        private volatile DeviceMemoryAccess memory;

        private DeviceMemoryAccess delegate() {
            HipTestDouble.Gpus g = active;
            if (g == null) {
                return null;
            }
            if (gpus != g) {
                memory = new HipDeviceMemory(() -> HipRuntime.of(g.process()));
                gpus = g;
            }
            return memory;
        }

        @Override
        public String name() {
            return "hip test double";
        }

        @Override
        public boolean serves(String location) {
            return active != null && location != null && location.startsWith("hip:");
        }

        @Override
        public boolean available() {
            return active != null;
        }

        @Override
        public String unavailableReason() {
            return active == null ? "the HIP test double is not active" : null;
        }

        @Override
        public String locate(long address) {
            DeviceMemoryAccess d = delegate();
            return d == null ? null : d.locate(address);
        }

        @Override
        public void checkDeviceRange(long address, long length, String location) {
            delegate().checkDeviceRange(address, length, location);
        }

        @Override
        public Allocation allocatePinned(long length) {
            return delegate().allocatePinned(length);
        }

        @Override
        public void copyToHost(long host, long device, long length) {
            delegate().copyToHost(host, device, length);
        }

        @Override
        public void copyToDevice(long device, long host, long length) {
            delegate().copyToDevice(device, host, length);
        }
    }
}
