package io.mooncake.engine.transport.contract;

/**
 * The target side of {@link TransportContractTests}: an engine (in a child JVM or in the test's
 * JVM) that published one buffer, and a control path to that buffer which does not go through the
 * transport under test. The suite fills and checks the peer's memory only through this interface,
 * so a transport that moved the wrong bytes cannot also hide it by reading them back wrong.
 *
 * <p>Implementations: {@link ChildJvmPeer} (a separate process, controlled over its standard
 * input and output) and {@link InProcessPeer}. Calls from several threads are allowed.
 */
public interface Peer extends AutoCloseable {

    /** The peer's segment name, for {@code openSegment}. */
    String segmentName();

    /** The address of the published buffer in the peer's process. */
    long bufferAddress();

    /** The length of the published buffer. */
    long bufferLength();

    /**
     * Writes {@link Pattern} bytes for {@code seed} (stream offset 0) at
     * {@code [offset, offset + length)} of the peer's buffer, on the peer's side.
     */
    void fill(long offset, long length, long seed);

    /** Fills the whole buffer with the pattern for {@code seed}. */
    default void fill(long seed) {
        fill(0, bufferLength(), seed);
    }

    /**
     * Checks, on the peer's side, that {@code [offset, offset + length)} of the peer's buffer holds
     * the {@link Pattern} bytes for {@code seed} (stream offset 0).
     *
     * @throws AssertionError naming the first difference
     */
    void verify(long offset, long length, long seed);

    /**
     * Ends the peer abruptly, as a crash would: SIGKILL for a process; for an in-process peer,
     * closing its engine.
     */
    void kill();

    /**
     * Makes the peer stop answering while keeping its connections open, as a hung host would
     * (SIGSTOP for a process).
     *
     * @return {@code false} when this kind of peer cannot simulate that (the suite then skips the
     *     tests that need it, saying so)
     */
    boolean stopAnswering();

    /** Stops the peer and releases everything it holds. Idempotent. */
    @Override
    void close();
}
