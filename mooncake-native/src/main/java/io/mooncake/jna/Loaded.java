package io.mooncake.jna;

import java.util.Objects;

/**
 * The outcome of loading one vendor library: the library's Java facade, or why it could not be
 * loaded.
 *
 * @param library the facade, {@code null} when loading failed
 * @param name the library file name asked for, e.g. {@code libibverbs.so.1}
 * @param failure what went wrong ({@code null} when loaded), e.g. the dynamic linker's message
 * @param permissionDenied whether the linker found the file but was not allowed to read it
 * @param <T> the facade type
 */
public record Loaded<T>(T library, String name, String failure, boolean permissionDenied) {

    public Loaded {
        Objects.requireNonNull(name, "name");
        if (library == null && failure == null) {
            throw new IllegalArgumentException("a library that failed to load needs a failure text");
        }
    }

    /** A successfully loaded library. */
    public static <T> Loaded<T> of(String name, T library) {
        return new Loaded<>(Objects.requireNonNull(library, "library"), name, null, false);
    }

    /** A library that could not be found or linked. */
    public static <T> Loaded<T> missing(String name, String failure) {
        return new Loaded<>(null, name, failure, false);
    }

    /** A library that exists but may not be read by this process. */
    public static <T> Loaded<T> denied(String name, String failure) {
        return new Loaded<>(null, name, failure, true);
    }

    /** Whether the library was loaded. */
    public boolean isLoaded() {
        return library != null;
    }
}
