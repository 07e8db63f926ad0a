package io.mooncake.device.cuda;

import io.mooncake.jna.Loaded;
import io.mooncake.jna.cuda.Cuda;
import java.util.Locale;

/**
 * The baseline of the GPU bench: {@code cuMemcpyDtoDAsync} of one block between two allocations on
 * one GPU, in this process, each copy waited for ({@code cuStreamSynchronize}: a device-to-device
 * {@code cuMemcpyDtoD} does not wait for the copy), for a duration; prints the same result line as
 * the engine's bench
 * ({@code throughput X GB/s}) so a script can take the ratio.
 * Usage: {@code CudaCopyBench [block bytes, default 64 MiB] [seconds, default 5] [device, default 0]}.
 */
public final class CudaCopyBench {

    private CudaCopyBench() {
    }

    public static void main(String[] args) {
        long block = args.length > 0 ? Long.parseLong(args[0]) : 64L << 20;
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 5;
        int device = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        Loaded<Cuda> l = Cuda.load();
        if (!l.isLoaded()) {
            System.err.println("CudaCopyBench: " + l.name() + " cannot be loaded: " + l.failure());
            System.exit(2);
        }
        Cuda cuda = l.library();
        long src = cuda.alloc(device, block);
        long dst = cuda.alloc(device, block);
        com.sun.jna.Pointer stream = cuda.createStream(device);
        try {
            cuda.memset(device, src, (byte) 1, block);
            for (int i = 0; i < 3; i++) {
                cuda.copyDeviceAsync(dst, src, block, stream); // warm-up
                cuda.synchronize(stream);
            }
            long count = 0;
            long start = System.nanoTime();
            long end = start + (long) (seconds * 1e9);
            long now;
            do {
                cuda.copyDeviceAsync(dst, src, block, stream);
                cuda.synchronize(stream);
                count++;
                now = System.nanoTime();
            } while (now < end);
            double elapsed = (now - start) / 1e9;
            System.err.printf(Locale.ROOT, "cuMemcpyDtoD baseline on cuda:%d: block %d bytes, %d copies%n", device,
                    block, count);
            System.err.printf(Locale.ROOT, "Test completed: duration %.2f, batch count %d, throughput %.2f GB/s%n",
                    elapsed, count, count * (double) block / elapsed / 1e9);
        } finally {
            cuda.destroyStream(stream);
            cuda.free(device, src);
            cuda.free(device, dst);
        }
    }
}
