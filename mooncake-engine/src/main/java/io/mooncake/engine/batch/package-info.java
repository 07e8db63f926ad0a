/**
 * Batches and tasks of a transfer: slice counters, terminal states set once, deadlines.
 */
package io.mooncake.engine.batch;
