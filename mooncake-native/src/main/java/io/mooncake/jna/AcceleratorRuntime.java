package io.mooncake.jna;

/**
 * Facade of an accelerator vendor runtime that can count its devices (HIP, AscendCL, CNDrv).
 * Implementations never throw for runtime errors; they answer with {@link RuntimeQuery#status()}.
 */
@FunctionalInterface
public interface AcceleratorRuntime {

    /** Asks the runtime for its devices. */
    RuntimeQuery query();
}
