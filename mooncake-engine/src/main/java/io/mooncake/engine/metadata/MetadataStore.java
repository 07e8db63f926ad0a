package io.mooncake.engine.metadata;

import java.util.Optional;
import java.util.function.Consumer;

/**
 * A key-value metadata backend (etcd, Redis, an HTTP metadata server) as the reference engine
 * uses it: plain GET, PUT and DELETE of UTF-8 JSON values under {@code mooncake/...} keys.
 *
 * <p>Implementations bound every call by a timeout and throw {@link MetadataUnavailableException}
 * when the service cannot be reached. Backends that can expire keys (etcd leases, Redis TTLs,
 * the embedded HTTP server) attach every {@link #put} to the store's own keep-alive, so keys of
 * a crashed process disappear. Thread-safe.
 */
public interface MetadataStore extends AutoCloseable {

    /** The value stored under {@code key}, or empty when there is none. */
    Optional<byte[]> get(String key);

    /** Stores {@code value} under {@code key}, replacing any previous value. */
    void put(String key, byte[] value);

    /** Removes {@code key}; removing a missing key is not an error. */
    void delete(String key);

    /**
     * Registers a listener told the key of every value under {@code prefix} that changes or is
     * deleted, so cached descriptors can be invalidated. Backends without change notification
     * return {@code false} and the engine relies on connection failures and refreshes instead.
     */
    default boolean watch(String prefix, Consumer<String> changedKey) {
        return false;
    }

    /** Whether the last call to the service succeeded; cheap, does no I/O. */
    default boolean isReachable() {
        return true;
    }

    /** A short description for logs and health: backend and endpoints, never credentials. */
    String describe();

    @Override
    void close();
}
