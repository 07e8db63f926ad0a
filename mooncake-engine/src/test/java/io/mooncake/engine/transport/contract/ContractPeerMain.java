package io.mooncake.engine.transport.contract;

import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.memory.DeviceMemoryAccess;
import io.mooncake.engine.memory.MemoryKind;
import io.mooncake.engine.testsupport.Engines;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.reflect.Constructor;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ServiceLoader;
import java.util.function.UnaryOperator;

/**
 * The process behind a {@link ChildJvmPeer}: starts a loopback P2PHANDSHAKE engine for a protocol
 * ({@link Engines#allTransports()}: every transport this build has runs beside it),
 * allocates one buffer, prints {@code READY <segment> <address> <length> <pid>} and then serves
 * line commands on standard input, answering each with one {@code R ...} line on standard output:
 *
 * <ul>
 * <li>{@code FILL <offset> <length> <seed>}: writes the {@link Pattern} there; answers {@code R OK}.</li>
 * <li>{@code VERIFY <offset> <length> <seed>}: answers {@code R OK} or {@code R MISMATCH <details>}.</li>
 * <li>{@code QUIT} (or end of input): closes the engine and exits.</li>
 * </ul>
 *
 * <p>Arguments: buffer length, protocol, optionally the name of a class with a no-argument
 * constructor implementing {@code UnaryOperator<EngineConfig.Builder>} that adjusts the
 * configuration. Logs go to standard error.
 */
public final class ContractPeerMain {

    /**
     * System property naming the location of the peer's buffer (default {@code cpu:0}); a device
     * location ({@code cuda:0}) is filled and checked through the device module's copies
     * ({@link DeviceMemoryAccess}) and a host staging buffer.
     */
    public static final String LOCATION = "mooncake.contract.location";

    private ContractPeerMain() {
    }

    /** The peer's buffer, seen from the control path. */
    private interface Memory {
        void fill(long offset, long length, long seed);

        String mismatch(long offset, long length, long seed);

        static Memory of(LocalBuffer buffer, String location) {
            if (MemoryKind.ofLocation(location).isHostAccessible()) {
                ByteBuffer b = buffer.byteBuffer();
                return new Memory() {
                    @Override
                    public void fill(long offset, long length, long seed) {
                        Pattern.fill(b, offset, length, seed);
                    }

                    @Override
                    public String mismatch(long offset, long length, long seed) {
                        return Pattern.mismatch(b, offset, length, seed);
                    }
                };
            }
            DeviceMemoryAccess device = null;
            for (DeviceMemoryAccess d : ServiceLoader.load(DeviceMemoryAccess.class)) {
                if (d.serves(location)) {
                    device = d;
                }
            }
            if (device == null) {
                throw new IllegalStateException("no device module serves " + location);
            }
            DeviceMemoryAccess dev = device;
            ByteBuffer staging = ByteBuffer.allocateDirect(8 << 20);
            long host = io.mooncake.engine.memory.NativeMemory.addressOf(staging);
            return new Memory() {
                @Override
                public synchronized void fill(long offset, long length, long seed) {
                    for (long done = 0; done < length; done += staging.capacity()) {
                        int n = (int) Math.min(staging.capacity(), length - done);
                        Pattern.fill(staging, 0, n, seed, done);
                        dev.copyToDevice(buffer.address() + offset + done, host, n);
                    }
                }

                @Override
                public synchronized String mismatch(long offset, long length, long seed) {
                    for (long done = 0; done < length; done += staging.capacity()) {
                        int n = (int) Math.min(staging.capacity(), length - done);
                        dev.copyToHost(host, buffer.address() + offset + done, n);
                        String m = Pattern.mismatch(staging, 0, n, seed, done);
                        if (m != null) {
                            return "at " + (offset + done) + "+: " + m;
                        }
                    }
                    return null;
                }
            };
        }
    }

    public static void main(String[] args) throws Exception {
        serve(args);
        System.exit(0);
    }

    private static void serve(String[] args) throws Exception {
        long length = Long.parseLong(args[0]);
        EngineConfig.Builder builder = Engines.allTransports().protocol(args[1]);
        if (args.length > 2) {
            Constructor<?> constructor = Class.forName(args[2]).getDeclaredConstructor();
            constructor.setAccessible(true); // often nested in a package-private test class
            @SuppressWarnings("unchecked")
            UnaryOperator<EngineConfig.Builder> configurer = (UnaryOperator<EngineConfig.Builder>) constructor
                    .newInstance();
            builder = configurer.apply(builder);
        }
        PrintStream out = System.out;
        try (TransferEngine engine = MooncakeEngine.start(builder.build())) {
            String location = System.getProperty(LOCATION, "cpu:0");
            LocalBuffer buffer = engine.allocateBuffer(length, location);
            Memory memory = Memory.of(buffer, location);
            out.println("READY " + engine.localSegmentName() + " " + buffer.address() + " " + length + " "
                    + ProcessHandle.current().pid());
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null) {
                String[] f = line.trim().split(" ");
                String reply;
                try {
                    switch (f[0]) {
                        case "FILL" -> {
                            memory.fill(Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]));
                            reply = "OK";
                        }
                        case "VERIFY" -> {
                            String m = memory.mismatch(Long.parseLong(f[1]), Long.parseLong(f[2]),
                                    Long.parseLong(f[3]));
                            reply = m == null ? "OK" : "MISMATCH " + m;
                        }
                        case "QUIT" -> {
                            return;
                        }
                        default -> reply = "ERROR unknown command '" + line + "'";
                    }
                } catch (RuntimeException e) {
                    reply = "ERROR " + e;
                }
                out.println("R " + reply);
                out.flush();
            }
        }
    }
}
