package io.mooncake.jna.fabric;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * Child-process program for {@link SignalHandlerGuardTest}: loads libfabric (through the binding,
 * or raw with {@code raw}), then throws and catches half a million {@link NullPointerException}s
 * from hot compiled code, which the JVM raises through its own {@code SIGSEGV} handler, after
 * opening tcp and shm endpoints, and exits normally.
 */
public final class FaultAfterLoadMain {

    interface Raw extends Library {
        int fi_version();
    }

    static final class Box {
        int v;
    }

    static int get(Box b) {
        return b.v;
    }

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("raw")) {
            Native.load("libfabric.so.1", Raw.class).fi_version();
        } else {
            JnaFabric.load().library().open(RdmEndpoint.Hints.of("tcp;ofi_rxm", null)).close();
            // the shm provider installs its own handlers when an endpoint opens
            JnaFabric.load().library().open(RdmEndpoint.Hints.of("shm", null)).close();
        }
        Box[] boxes = {new Box(), null};
        long npes = 0;
        for (int i = 0; i < 2_000_000; i++) {
            try {
                get(boxes[(i >> 10) & 1 & (i > 1_000_000 ? 1 : 0)]);
            } catch (NullPointerException e) {
                npes++;
            }
        }
        System.out.println("npes=" + npes + " sigsegv handler in " + SignalHandlerGuard.handlerOwner(11));
    }
}
