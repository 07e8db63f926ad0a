package io.mooncake.jna.fabric;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * The passive peer of {@link TwoProcessRmaTest}, in its own JVM: opens an RDM endpoint, registers
 * a buffer for remote access whose first half is zero (the initiator writes there) and whose
 * second half holds {@link #pattern} with seed 2 (the initiator reads it), prints
 * {@code READY <endpoint address hex> <buffer address> <key> <buffer length>}, and then makes
 * progress (polls its completion queue) until told {@code EXIT}. {@code CHECK <seed>} answers
 * {@code OK} when the first half holds the pattern with that seed, else {@code BAD <first index>}.
 */
public final class FabricPeerMain {

    static byte pattern(long i, int seed) {
        return (byte) (i * 31 + seed * 7 + (i >>> 12));
    }

    public static void main(String[] args) throws Exception {
        String provider = args[0];
        String domain = args.length > 1 && !args[1].equals("-") ? args[1] : null;
        int half = Integer.parseInt(args.length > 2 ? args[2] : "1048576");
        try (RdmEndpoint ep = JnaFabric.load().library().open(RdmEndpoint.Hints.of(provider, domain));
                Memory buf = new Memory(2L * half);
                RdmEndpoint.PollBuffer poll = new RdmEndpoint.PollBuffer(16)) {
            buf.clear();
            for (int i = 0; i < half; i++) {
                buf.setByte(half + i, pattern(i, 2));
            }
            try (RdmEndpoint.Registration reg = ep.register(Pointer.nativeValue(buf), 2L * half,
                    RdmEndpoint.ACCESS_REMOTE)) {
                System.out.println("READY " + ep.addressHex() + " " + reg.address() + " " + reg.key() + " " + 2L * half);
                System.out.flush();
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
                RdmEndpoint.Completions none = new RdmEndpoint.Completions() {
                    @Override
                    public void completed(long context, long length) {
                    }

                    @Override
                    public void failed(long context, int error, int providerError, String text) {
                        System.out.println("FAILED " + text);
                    }
                };
                while (true) {
                    ep.poll(poll, none);
                    if (!in.ready()) {
                        continue;
                    }
                    String line = in.readLine();
                    if (line == null || line.equals("EXIT")) {
                        return;
                    }
                    if (line.startsWith("CHECK ")) {
                        int seed = Integer.parseInt(line.substring(6).trim());
                        int bad = -1;
                        for (int i = 0; i < half && bad < 0; i++) {
                            if (buf.getByte(i) != pattern(i, seed)) {
                                bad = i;
                            }
                        }
                        System.out.println(bad < 0 ? "OK" : "BAD " + bad);
                        System.out.flush();
                    }
                }
            }
        }
    }
}
